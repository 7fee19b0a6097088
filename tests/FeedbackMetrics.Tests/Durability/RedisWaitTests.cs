using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>
/// <c>--redis_wait_replicas</c>: an event is acknowledged only once a Redis replica holds it, so a failover to that
/// replica loses nothing acknowledged. A real primary and replica (two redis-server processes).
/// </summary>
[Category("Redis")]
public sealed class RedisWaitTests
{
    [Test]
    public async Task With_wait_replicas_an_event_is_acknowledged_only_once_a_replica_holds_it()
    {
        await using var primary = await RedisServer.StartAsync();
        await using var replica = await RedisServer.StartAsync(replicaOf: primary.Port);
        await LinkedAsync(replica);
        await using var server = await RunningServer.StartAsync(["--state", primary.Url, "--redis_wait_replicas", "1", "--redis_wait_timeout", "00:00:00.300"]);

        using (var first = await server.PostBinaryAsync(Events.SeedBody, "e1"))
        {
            Assert.That((int)first.StatusCode, Is.EqualTo(200), await first.Content.ReadAsStringAsync());
        }

        Assert.That(int.Parse(replica.Cli("DBSIZE").Trim(), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0), "the replica holds what was acknowledged");

        await replica.KillAsync();
        using (var refused = await server.PostBinaryAsync(Events.SeedBody, "e2"))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.That((int)refused.StatusCode, Is.EqualTo(503), body);
            Assert.That(refused.Headers.RetryAfter, Is.Not.Null);
            Assert.That(body, Does.Contain("reached 0 of the 1 replicas"));
        }

        // The broker redelivers once the replica is back: counted once, acknowledged now.
        await replica.StartAgainAsync();
        await LinkedAsync(replica);
        using (var redelivered = await server.PostBinaryAsync(Events.SeedBody, "e2"))
        {
            Assert.That(redelivered.IsSuccessStatusCode, Is.True, await redelivered.Content.ReadAsStringAsync());
        }

        var model = (await server.MetricsJsonAsync())["deployments"]!.AsArray().Single()!;
        Assert.That(model["count"]!.GetValue<long>(), Is.EqualTo(2), "e1 and e2, each once");
    }

    private static async Task LinkedAsync(RedisServer replica)
    {
        for (var i = 0; i < 200 && !replica.Cli("INFO", "replication").Contains("master_link_status:up", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
        }

        Assert.That(replica.Cli("INFO", "replication"), Does.Contain("master_link_status:up"));
    }
}
