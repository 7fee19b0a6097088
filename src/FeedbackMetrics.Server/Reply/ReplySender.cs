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

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!queue.Enabled)
        {
            return Task.CompletedTask;
        }

        return Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => SendLoopAsync(stoppingToken)));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Let what is queued go out while the host's shutdown timeout allows, then stop.
        queue.Complete();
        await base.StopAsync(cancellationToken);
    }

    private async Task SendLoopAsync(CancellationToken stoppingToken)
    {
        var url = options.Value.ParsedUrl!;
        var client = clients.CreateClient(ClientName);
        await foreach (var reply in queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                using var content = reply.ToHttpContent(ContentMode.Binary, formatter);
                using var response = await client.PostAsync(url, content, stoppingToken);
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
