using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Reply;

/// <summary>
/// Posts the store's outbox to --reply_url in binary mode, a few at a time. Retries with backoff come from the
/// HTTP client's resilience pipeline; a metric event still undelivered after them is counted as failed and
/// offered again later (it stays in a durable outbox until delivered, across restarts).
/// </summary>
public sealed class ReplySender(
    IFeedbackStore store,
    ReplyFactory replies,
    IHttpClientFactory clients,
    IOptions<ReplyOptions> options,
    ServerCounters counters,
    TimeProvider time,
    ILogger<ReplySender> logger) : BackgroundService
{
    public const string ClientName = "reply";
    private const int Concurrency = 4;
    private static readonly TimeSpan RetryLater = TimeSpan.FromSeconds(5);

    // Posts in flight are not cut by the stop signal but by the host's shutdown deadline, so the outbox can drain.
    private readonly CancellationTokenSource _deadline = new();

    // One log line when the reply URL starts failing and one when it recovers, not one per metric event.
    private int _failing;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!store.Outbox.Enabled)
        {
            return Task.CompletedTask;
        }

        return Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => SendLoopAsync(stoppingToken, _deadline.Token)));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(_deadline.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _deadline.Dispose();
        base.Dispose();
    }

    private async Task SendLoopAsync(CancellationToken stopping, CancellationToken deadline)
    {
        var url = options.Value.ParsedUrl!;
        var client = clients.CreateClient(ClientName);
        while (!stopping.IsCancellationRequested)
        {
            OutboxEntry? entry;
            try
            {
                entry = await store.Outbox.TakeAsync(stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (entry is null)
            {
                return;
            }

            if (await PostAsync(client, url, replies.Create(entry), deadline))
            {
                if (Interlocked.Exchange(ref _failing, 0) == 1)
                {
                    Log.ReplyRecovered(logger, url, store.Outbox.Depth);
                }

                counters.CountReply(ReplyResult.Sent);
                store.Outbox.Delivered(entry);
                continue;
            }

            counters.CountReply(ReplyResult.Failed);
            _ = RetryLaterAsync(entry, stopping);
        }
    }

    private async Task<bool> PostAsync(HttpClient client, Uri url, MetricEvent metricEvent, CancellationToken deadline)
    {
        try
        {
            using var request = MetricEventWriter.ToRequest(metricEvent, url);
            using var response = await client.SendAsync(request, deadline);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            Failed(metricEvent, url, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
        {
            Failed(metricEvent, url, e.Message);
        }

        return false;
    }

    private void Failed(MetricEvent metricEvent, Uri url, string reason)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            Log.ReplyFailed(logger, metricEvent.Id, url, reason);
        }
    }

    private async Task RetryLaterAsync(OutboxEntry entry, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(RetryLater, time, stopping);
            store.Outbox.Retry(entry);
        }
        catch (OperationCanceledException)
        {
            // Stopping: a durable outbox keeps the entry for the next start.
        }
    }
}
