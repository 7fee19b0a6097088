using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Tests.Support;

/// <summary>A real HTTP listener on 127.0.0.1 that records the requests posted to it (the reply URL).</summary>
public sealed class ReplyListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();
    private int _failuresLeft;

    private ReplyListener(WebApplication app) => _app = app;

    public Uri Url => new(_app.Urls.First() + "/");

    public static async Task<ReplyListener> StartAsync(int failFirst = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var listener = new ReplyListener(app) { _failuresLeft = failFirst };
        app.MapPost("/", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Decrement(ref listener._failuresLeft) >= 0)
            {
                return Results.StatusCode(503);
            }

            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            await listener._received.Writer.WriteAsync(new Received(headers, body));
            return Results.Accepted();
        });
        await app.StartAsync();
        return listener;
    }

    public async Task<Received> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        return await _received.Reader.ReadAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Received(Dictionary<string, string> Headers, string Body);
}
