using System.Text.Json;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Json;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Reply;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Ingest;

/// <summary><c>POST /</c>: feedback CloudEvents in; the metric CloudEvent (binary mode) or an acknowledgement out.</summary>
public static class IngestEndpoints
{
    public static void MapIngestEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/", IngestAsync).RequireRateLimiting(IngestLimiter.Policy);
    }

    private static async Task IngestAsync(
        HttpContext context,
        CloudEventReader reader,
        FeedbackIngest ingest,
        ReplyFactory replies,
        Readiness readiness,
        IOptions<LimitsOptions> limits)
    {
        if (readiness.NotReadyReason is { } reason)
        {
            throw new StorageUnavailableException($"Not ready: {reason.TrimEnd('.')}.");
        }

        using var incoming = await reader.ReadAsync(context.Request, limits.Value.MaxBodyBytes, context.RequestAborted);
        var results = await ingest.IngestAsync(incoming);
        if (incoming.IsBatch)
        {
            var items = results.Select(r => new BatchItem(r.Source, r.Id, r.Outcome.ToString().ToLowerInvariant())).ToList();
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json; charset=utf-8";
            await JsonSerializer.SerializeAsync(context.Response.Body, new BatchResponse(items), ServerJsonContext.Default.BatchResponse, context.RequestAborted);
            return;
        }

        var result = results[0];
        if (result.Reply is { } reply)
        {
            await MetricEventWriter.WriteAsync(context.Response, replies.Create(reply), StatusCodes.Status200OK, context.RequestAborted);
            return;
        }

        // Duplicates and ignored types: acknowledged, no reply event (so a broker never loops our own events back).
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }
}
