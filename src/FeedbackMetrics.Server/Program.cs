using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Hosting;

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
    // A mistake in how the server was started: one line (and maybe a hint), no stack trace.
    await Console.Error.WriteLineAsync(e.Report);
    return StartupException.ExitCode;
}
