using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>
/// A request that spans two deployments whose logs live on different masters of a Redis Cluster is decided at once and
/// committed per slot. Here the server is killed (SIGKILL) after the first slot's commit and before the second's: the
/// second master holds its writes (<c>CLIENT PAUSE … WRITE</c>) until the killed server's connection is gone, so its
/// commit never runs. After a restart the committed part is counted and the rest is not; the broker's redelivery of the
/// whole request is recognised as a repeat for the first deployment and counted for the second.
/// </summary>
[Category("Redis")]
public sealed class RedisSlotCommitCrashTests
{
    private const string Prefix = "cut";

    /// <summary>One row, correct, as the Seldon executor logs the metrics-server notebook's feedback.</summary>
    private static readonly RealSenderFixture Seldon = RealSenderFixture.Load("seldon-executor/feedback-ndarray-metrics-server-notebook");

    [Test]
    public async Task A_kill_between_two_slot_commits_keeps_the_committed_part_and_the_redelivery_counts_the_rest_once()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var globalMaster = cluster.MasterOf($"{{{Prefix}}}");
        var names = Enumerable.Range(0, 100).Select(i => $"model-{i:00}").ToList();
        var first = names.First(n => cluster.MasterOf(Tag(n)) != globalMaster);
        var second = names.First(n => cluster.MasterOf(Tag(n)) != globalMaster && cluster.MasterOf(Tag(n)) != cluster.MasterOf(Tag(first)));
        var (firstMaster, secondMaster) = (cluster.MasterOf(Tag(first)), cluster.MasterOf(Tag(second)));
        string[] args = ["--state", cluster.Url, "--redis_prefix", Prefix, "--redis_refresh_interval", "01:00:00"];

        var server = await ServerProcess.StartAsync(Path.Combine(Path.GetTempPath(), "fm-replica-unused"), args);
        var batch = Batch(("x-1", first), ("x-2", second));
        try
        {
            // Each deployment counted once first, so both logs exist and the server has listed them.
            using (var warm = await server.Client.SendAsync(Batched(Batch(("w-1", first), ("w-2", second)))))
            {
                Assert.That((int)warm.StatusCode, Is.EqualTo(200), await warm.Content.ReadAsStringAsync());
            }

            Assert.That((Version(firstMaster, first), Version(secondMaster, second)), Is.EqualTo((1, 1)));
            secondMaster.Cli("CLIENT", "PAUSE", "600000", "WRITE");
            var sent = server.Client.SendAsync(Batched(batch));
            await Until("the first deployment's commit landed", () => Version(firstMaster, first) == 2);

            await server.KillAsync();
            Assert.That(async () => await sent, Throws.InstanceOf<Exception>(), "the killed server never answered the request");
            await Until("the killed server's connections are gone from the paused master", () => Clients(secondMaster) <= 1);
            secondMaster.Cli("CLIENT", "UNPAUSE");
            Assert.That((Version(firstMaster, first), Version(secondMaster, second)), Is.EqualTo((2, 1)), "one slot committed, the other not");
        }
        finally
        {
            secondMaster.Cli("CLIENT", "UNPAUSE");
            await server.DisposeAsync();
        }

        await using var restarted = await ServerProcess.StartAsync(Path.Combine(Path.GetTempPath(), "fm-replica-unused"), args);
        Assert.That(await CountsAsync(restarted, first, second), Is.EqualTo((2L, 1L)), "after the restart the committed part is counted, the rest not");

        using (var again = await restarted.Client.SendAsync(Batched(batch)))
        {
            Assert.That((int)again.StatusCode, Is.EqualTo(200), await again.Content.ReadAsStringAsync());
        }

        Assert.That(await CountsAsync(restarted, first, second), Is.EqualTo((2L, 2L)), "the redelivery is a repeat for the first deployment and counted for the second");
    }

    private static string Tag(string deployment) => $"{{{Prefix}/seldon/{deployment}}}";

    private static long Version(RedisServer master, string deployment) =>
        long.TryParse(master.Cli("HGET", $"{Tag(deployment)}:head", "version").Trim(), out var v) ? v : 0;

    private static int Clients(RedisServer master) =>
        int.Parse(master.Cli("INFO", "clients").Split('\n').Single(l => l.StartsWith("connected_clients:", StringComparison.Ordinal))["connected_clients:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task Until(string what, Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMinutes(2)), $"waiting for {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>The Seldon executor's event in structured mode (its Ce- headers as attributes, its body as data) for each (id, deployment), as one batch.</summary>
    private static string Batch(params (string Id, string Deployment)[] events) => JsonSerializer.Serialize(events.Select(e =>
    {
        var attributes = new JsonObject();
        foreach (var (name, value) in Seldon.Headers.Where(h => h.Key.StartsWith("Ce-", StringComparison.Ordinal)))
        {
            attributes[name[3..].ToLowerInvariant()] = value;
        }

        attributes["id"] = e.Id;
        attributes["inferenceservicename"] = e.Deployment;
        attributes["datacontenttype"] = "application/json";
        attributes["data"] = JsonNode.Parse(Seldon.Body);
        return attributes;
    }));

    private static HttpRequestMessage Batched(string batch) => new(HttpMethod.Post, "/")
    {
        Content = new StringContent(batch, System.Text.Encoding.UTF8, "application/cloudevents-batch+json"),
    };

    private static async Task<(long First, long Second)> CountsAsync(ServerProcess server, string first, string second)
    {
        var view = JsonNode.Parse(await server.Client.GetStringAsync("/v1/metrics?format=json"))!;
        long Count(string deployment) => view["deployments"]!.AsArray().Where(d => d!["deployment"]!.GetValue<string>() == deployment).Sum(d => d!["count"]!.GetValue<long>());
        return (Count(first), Count(second));
    }
}
