using System.Globalization;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static FeedbackMetrics.Tests.Core.JoinInputs;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>What a pending response costs in Redis's memory with --state redis: its part of a change set in the log.</summary>
[Category("Load")]
[Category("Redis")]
public sealed class RedisJoinMemoryTests
{
    /// <summary>
    /// A bound on one pending response of one row with a 3-class probability vector and a 36-character request id;
    /// docs/redis.md states the figure measured here.
    /// </summary>
    private const int BytesPerPendingResponse = 400;

    [Test]
    public async Task A_pending_response_costs_redis_at_most_the_documented_bytes()
    {
        const int Count = 20_000;
        const int PerRequest = 200;
        await using var redis = await RedisServer.StartAsync();
        var (store, ledger) = RedisStores.Create(new MetricsBook(10, 10), redis.Url, "memory", outbox: false, limits: new JoinLimits(JoinLimits.DefaultTtl, Count), time: new FakeTimeProvider(DateTimeOffset.UtcNow));
        await using var _ = store;
        await store.InitializeAsync(default);
        var key = new MetricKey("seldon", "iris", "default", "classifier");
        var random = new Random(3);

        var before = UsedMemory(redis);
        for (var i = 0; i < Count; i += PerRequest)
        {
            var events = Enumerable.Range(i, PerRequest).Select(n =>
            {
                var p = new[] { random.NextDouble(), random.NextDouble(), random.NextDouble() };
                var sum = p.Sum();
                var id = $"response-{n}";
                return (IngestEvent)new LoggedResponse(new CloudEventId("s", id, "io.seldon.serving.inference.response"), key, Guid.NewGuid().ToString(), Response([[.. p.Select(v => v / sum)]]), ReplyContext.None);
            }).ToList();
            await store.ApplyAsync(events, default);
        }

        var perResponse = (UsedMemory(redis) - before) / (double)Count;
        TestContext.Out.WriteLine($"{perResponse:F0} bytes of Redis memory per pending response ({Count} held, its remembered event id included)");
        Assert.Multiple(() =>
        {
            Assert.That(ledger.Figures(JoinScope.Of(key))!.PendingResponses, Is.EqualTo(Count));
            Assert.That(perResponse, Is.LessThanOrEqualTo(BytesPerPendingResponse));
        });
    }

    private static long UsedMemory(RedisServer redis) =>
        long.Parse(redis.Cli("INFO", "memory").Split('\n').Single(l => l.StartsWith("used_memory:", StringComparison.Ordinal))["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
}
