using System.Diagnostics;
using FeedbackMetrics.Core.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Server.Hosting;

/// <summary>Restores the read model from the store in the background; the server is ready once it is done.</summary>
public sealed class StoreInitializer(IFeedbackStore store, Readiness readiness, ILogger<StoreInitializer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watch = Stopwatch.StartNew();
        var report = await store.InitializeAsync(stoppingToken);
        Log.StateRestored(logger, report.Store, report.Keys, report.RememberedIds, watch.ElapsedMilliseconds);
        readiness.MarkRestored();
    }
}
