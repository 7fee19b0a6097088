using System.Globalization;
using System.Threading.RateLimiting;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// The per-source limit of <c>POST /</c> (<c>--max_events_per_source_per_second</c>): a token bucket per source — the
/// verified OIDC subject when senders are verified, else the client IP — answering 429 with Retry-After, before the
/// body is read. It is ASP.NET Core's global limiter, so it runs in front of the ingest concurrency limit
/// (<see cref="Ingest.IngestLimiter"/>) and leaves it as it is.
/// </summary>
public static class SourceRateLimiter
{
    public static void AddSourceRateLimiter(this IServiceCollection services)
    {
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<SecurityOptions>>((options, security) =>
        {
            var rate = security.Value.MaxEventsPerSourcePerSecond;
            if (rate <= 0)
            {
                return;
            }

            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.GetEndpoint()?.Metadata.GetMetadata<SecuredEndpoint>() != SecuredEndpoint.Ingest
                    ? RateLimitPartition.GetNoLimiter(string.Empty)
                    : RateLimitPartition.GetTokenBucketLimiter(PartitionKey(context), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = rate,
                        TokensPerPeriod = rate,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));

            // One OnRejected serves every limiter. A token bucket's refusal carries a Retry-After; the concurrency
            // limiter's never does, so those keep the answer IngestLimiter gives them (503 overloaded).
            var overloaded = options.OnRejected;
            options.OnRejected = (context, cancellationToken) => context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                ? TooManyRequestsAsync(context.HttpContext, retryAfter, rate)
                : overloaded?.Invoke(context, cancellationToken) ?? ValueTask.CompletedTask;
        });
    }

    /// <summary>The verified subject (every request that reaches the limiter is verified when senders are), else the client IP.</summary>
    private static string PartitionKey(HttpContext context) =>
        context.User.FindFirst(JwtBearerSetup.SubjectClaim)?.Value is { } subject
            ? "subject:" + subject
            : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    private static async ValueTask TooManyRequestsAsync(HttpContext http, TimeSpan retryAfter, int rate)
    {
        var partition = PartitionKey(http);
        var kind = partition[..partition.IndexOf(':', StringComparison.Ordinal)];
        http.RequestServices.GetRequiredService<SecurityCounters>().CountRateLimited(kind);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        await RetryLaterProblem.WriteAsync(
            http,
            StatusCodes.Status429TooManyRequests,
            "Too many requests",
            $"This source ({kind} {Refusal.Quote(partition[(kind.Length + 1)..])}) sent more than {rate} requests in a second (--max_events_per_source_per_second); retry after {seconds} s.",
            seconds);
    }
}
