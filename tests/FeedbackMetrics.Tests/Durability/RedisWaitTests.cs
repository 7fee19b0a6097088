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

        var (firstStatus, firstBody) = await DeliverAsync(server, "e1");
        Assert.That(firstStatus, Is.EqualTo(200), firstBody);

        Assert.That(int.Parse(replica.Cli("DBSIZE").Trim(), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0), "the replica holds what was acknowledged");

        await replica.KillAsync();
        using (var refused = await server.PostBinaryAsync(Events.SeedBody, "e2"))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.That((int)refused.StatusCode, Is.EqualTo(503), body);
            Assert.That(refused.Headers.RetryAfter, Is.Not.Null);
            Assert.That(body, Does.Contain("reached 0 of the 1 replicas"));
        }

        // The broker redelivers once the replica is back: counted once, acknowledged now (or on a later redelivery).
        await replica.StartAgainAsync();
        await LinkedAsync(replica);
        var (status, answer) = await DeliverAsync(server, "e2");
        Assert.That(status is >= 200 and < 300, Is.True, answer);

        var model = (await server.MetricsJsonAsync())["deployments"]!.AsArray().Single()!;
        Assert.That(model["count"]!.GetValue<long>(), Is.EqualTo(2), "e1 and e2, each once");
    }

    /// <summary>
    /// Sends an event as a broker does: again after each 503 (the replica did not confirm within the 300 ms asked,
    /// which a busy machine can take), until it is acknowledged or two minutes have passed. Returns the last answer.
    /// </summary>
    private static async Task<(int Status, string Body)> DeliverAsync(RunningServer server, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            using var answer = await server.PostBinaryAsync(Events.SeedBody, id);
            var body = await answer.Content.ReadAsStringAsync();
            if ((int)answer.StatusCode != 503 || DateTime.UtcNow > deadline)
            {
                return ((int)answer.StatusCode, body);
            }
        }
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
