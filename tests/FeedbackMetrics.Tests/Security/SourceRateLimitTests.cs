using System.Net;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Security;

/// <summary>With <c>--max_events_per_source_per_second</c> a source past its rate gets 429 with Retry-After; sources are the verified subject, else the client IP.</summary>
public sealed class SourceRateLimitTests
{
    [Test]
    public async Task A_source_past_its_rate_gets_429_with_retry_after_and_its_refused_events_are_not_counted()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--max_events_per_source_per_second", "2"]);
        var (limited, accepted) = await SendUntilLimitedAsync(server, "ip", null);

        Assert.That(limited.Headers.RetryAfter?.Delta, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(limited.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await limited.Content.ReadAsStringAsync(), Does.Contain("--max_events_per_source_per_second"));
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(accepted), "only accepted events are counted");
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_rate_limited_total", ("partition", "ip")), Is.GreaterThanOrEqualTo(1));
        Assert.That(prometheus.Value("feedback_metrics_events_total", ("outcome", "overloaded")), Is.Zero, "a rate limit is not an overload");
        limited.Dispose();
    }

    [Test]
    public async Task Verified_senders_are_limited_each_on_their_own()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var server = await RunningServer.StartAsync(issuer.ServerArgs("--max_events_per_source_per_second", "1"));
        var (limited, _) = await SendUntilLimitedAsync(server, "a", "Bearer " + issuer.Token());
        limited.Dispose();

        using var other = await SecurityClient.PostAsync(server, "b-0", "Bearer " + issuer.Token(subject: "system:serviceaccount:seldon:other-trigger-oidc-eventing.knative.dev-trigger"));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another subject from the same IP has its own budget");
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_rate_limited_total", ("partition", "subject")), Is.GreaterThanOrEqualTo(1));
    }

    /// <summary>Posts distinct events at once until one is refused with 429 (bounded); returns it and how many were accepted.</summary>
    private static async Task<(HttpResponseMessage Limited, int Accepted)> SendUntilLimitedAsync(RunningServer server, string prefix, string? authorization)
    {
        var accepted = 0;
        for (var i = 0; i < 50; i++)
        {
            var response = await SecurityClient.PostAsync(server, $"{prefix}-{i}", authorization);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return (response, accepted);
            }

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            accepted++;
            response.Dispose();
        }

        Assert.Fail("no request was limited");
        throw new InvalidOperationException();
    }
}
