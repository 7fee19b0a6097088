using System.Diagnostics;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Server.Hosting;

/// <summary>
/// Restores the read model from the store in the background (the server is ready once it is done), and stops
/// the store last on shutdown. A state that cannot be loaded stops the process with exit code 3 and the reason.
/// </summary>
public sealed class StoreInitializer(IFeedbackStore store, Readiness readiness, IHostApplicationLifetime lifetime, ILogger<StoreInitializer> logger) : BackgroundService
{
    public const int ExitCodeStateUnusable = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watch = Stopwatch.StartNew();
        RestoreReport report;
        try
        {
            report = await store.InitializeAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StateUnusable(logger, e.Message, e);
            Environment.ExitCode = ExitCodeStateUnusable;
            lifetime.StopApplication();
            return;
        }

        Log.StateRestored(logger, report.Store, report.Keys, report.RememberedIds, watch.ElapsedMilliseconds);
        readiness.MarkRestored();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await store.StopAsync(cancellationToken);
    }
}
