using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Hosting;
using Microsoft.Extensions.Options;

try
{
    var app = ServerApp.Build(args);
    if (app is null)
    {
        return 0;
    }

    await app.RunAsync();
    return Environment.ExitCode;
}
catch (CommandLineException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 2;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"error: invalid configuration: {string.Join(" ", e.Failures)}");
    return 2;
}
