using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;
using FeedbackMetrics.Server.Exposition;
using FeedbackMetrics.Server.Hosting;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Reply;

/// <summary>Posts queued metric events to --reply_url in binary mode, a few at a time; retries and backoff come from the HTTP client's resilience pipeline.</summary>
public sealed class ReplySender(
    ReplyQueue queue,
    IHttpClientFactory clients,
    CloudEventFormatter formatter,
    IOptions<ReplyOptions> options,
    ServerCounters counters,
    ILogger<ReplySender> logger) : BackgroundService
{
    public const string ClientName = "reply";
    private const int Concurrency = 4;

    // Posts in flight are not cut by the stop signal but by the host's shutdown deadline, so the queue can drain.
    private readonly CancellationTokenSource _deadline = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!queue.Enabled)
        {
            return Task.CompletedTask;
        }

        return Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => SendLoopAsync(_deadline.Token)));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Let what is queued go out while the host's shutdown timeout allows, then stop.
        queue.Complete();
        using var registration = cancellationToken.Register(_deadline.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _deadline.Dispose();
        base.Dispose();
    }

    private async Task SendLoopAsync(CancellationToken deadline)
    {
        var url = options.Value.ParsedUrl!;
        var client = clients.CreateClient(ClientName);
        await foreach (var reply in queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                using var content = reply.ToHttpContent(ContentMode.Binary, formatter);
                using var response = await client.PostAsync(url, content, deadline);
                if (response.IsSuccessStatusCode)
                {
                    counters.CountReply(ReplyResult.Sent);
                    continue;
                }

                counters.CountReply(ReplyResult.Failed);
                Log.ReplyFailed(logger, reply.Id!, url, $"HTTP {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
            {
                counters.CountReply(ReplyResult.Failed);
                Log.ReplyFailed(logger, reply.Id!, url, e.Message);
            }
        }
    }
}
