using System.Threading.RateLimiting;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>
/// Overload protection for <c>POST /</c>: a bounded number of requests at once and a bounded queue; past both
/// the server answers 503 with Retry-After before reading the body, so memory stays bounded and the broker retries later.
/// </summary>
public static class IngestLimiter
{
    public const string Policy = "ingest";

    public static void AddIngestLimiter(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LimitsOptions>>((options, limits) =>
        {
            options.AddConcurrencyLimiter(Policy, concurrency =>
            {
                concurrency.PermitLimit = limits.Value.MaxConcurrentRequests;
                concurrency.QueueLimit = limits.Value.MaxQueuedRequests;
                concurrency.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            options.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            options.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                http.RequestServices.GetRequiredService<ServerCounters>().CountOverloaded();
                await RetryLaterProblem.WriteAsync(
                    http,
                    StatusCodes.Status503ServiceUnavailable,
                    "Overloaded",
                    $"More than {limits.Value.MaxConcurrentRequests} requests are in progress and {limits.Value.MaxQueuedRequests} waiting; retry after 1 s.",
                    1);
            };
        });
    }
}
