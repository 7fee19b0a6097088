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
catch (StartupException e)
{
    await Console.Error.WriteLineAsync(e.Report);
    return StartupException.ExitCode;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"error: invalid configuration: {string.Join(" ", e.Failures)}");
    return 2;
}
catch (InvalidOperationException e) when (e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
{
    // A value of the wrong type (--http_port abc, --join_ttl 7d): the binder names the key and the value.
    await Console.Error.WriteLineAsync($"error: invalid configuration: {e.Message} {e.InnerException?.Message}");
    return 2;
}
