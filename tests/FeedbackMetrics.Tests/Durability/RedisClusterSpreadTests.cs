using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>
/// Two server processes on a Redis Cluster of three masters with one replica each, fed the Seldon executor's real
/// feedback event for sixty deployments: the models' keys spread over the masters (no master holds most of the keys or
/// runs most of the scripts), and neither a master killed mid-stream (it fails over to its replica) nor a server replica
/// SIGKILLed mid-stream loses an acknowledged event or counts one twice.
/// </summary>
[Category("Redis")]
public sealed class RedisClusterSpreadTests
{
    private const int Deployments = 60;
    private const int Events = 600;
    private const int Clients = 6;
    private const double MostShare = 0.6;

    /// <summary>One row, correct (class 2), as the Seldon executor logs the metrics-server notebook's feedback.</summary>
    private static readonly RealSenderFixture Seldon = RealSenderFixture.Load("seldon-executor/feedback-ndarray-metrics-server-notebook");

    [Test]
    public async Task Sixty_deployments_spread_their_keys_and_script_calls_over_every_master_and_are_counted_exactly_once()
    {
        await using var cluster = await RedisCluster.StartAsync(replicasPerMaster: 1);
        var replicas = new ServerProcess[2];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await StartReplicaAsync(cluster.Url, "spread");
        }

        try
        {
            PrintWhereScopesWouldLive(cluster, "spread");
            cluster.ResetStats();

            // Every event through one replica; every fifth delivered again through the other, as a broker redelivers.
            await Parallel.ForEachAsync(Enumerable.Range(0, Events), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, _) =>
            {
                var (status, ceType, body) = await PostAsync(replicas[i % 2].Client, "spread", i);
                Assert.That((status, ceType), Is.EqualTo((200, "io.seldon.serving.feedback.metrics")), $"event {i} is counted and answered with its metric event: {body}");
                if (i % 5 == 0)
                {
                    var again = await PostAsync(replicas[(i + 1) % 2].Client, "spread", i);
                    Assert.That((again.Status, again.CeType, again.Body), Is.EqualTo((202, (string?)null, "")), $"event {i} delivered again through the other replica is a repeat");
                }
            });

            foreach (var view in await WaitForCountsAsync(replicas))
            {
                AssertEveryModelCountedTenTimes(view);
            }

            var masters = cluster.MasterFigures();
            PrintShares(masters);
            long keys = masters.Sum(m => m.Keys), scripts = masters.Sum(m => m.ScriptCalls);
            Assert.Multiple(() =>
            {
                foreach (var master in masters)
                {
                    Assert.That(master.ScriptCalls, Is.Positive, $"the master on {master.Port} ran scripts");
                    Assert.That(master.Keys, Is.Positive, $"the master on {master.Port} holds keys");
                    Assert.That((double)master.Keys / keys, Is.AtMost(MostShare), $"the master on {master.Port} holds at most {MostShare:P0} of the keys");
                    Assert.That((double)master.ScriptCalls / scripts, Is.AtMost(MostShare), $"the master on {master.Port} ran at most {MostShare:P0} of the script calls");
                }
            });
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task A_master_killed_mid_stream_fails_over_to_its_replica_and_every_acknowledged_event_is_counted_once()
    {
        await using var cluster = await RedisCluster.StartAsync(replicasPerMaster: 1);
        var replicas = new ServerProcess[2];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await StartReplicaAsync(cluster.Url, "failover", "--redis_wait_replicas", "1", "--redis_refresh_interval", "00:00:00.100");
        }

        try
        {
            await SendEveryEventUntilAcknowledgedAsync(replicas, "failover", async acknowledged =>
            {
                var victim = cluster.MasterFigures().MaxBy(m => m.Keys)!;
                var master = cluster.Masters.Single(m => m.Port == victim.Port);
                var failover = cluster.KillMasterAsync(master);
                var (promoted, took) = await failover;
                TestContext.Out.WriteLine($"killed the master on {master.Port} ({victim.Keys} of {cluster.MasterFigures().Sum(m => m.Keys)} keys) after {acknowledged} acknowledged events; its replica on {promoted.Port} serves its slots and every node says cluster_state:ok {took.TotalSeconds:F1} s later");

                // As Kubernetes restarts the pod: the old master comes back as the new master's replica, so
                // --redis_wait_replicas 1 can be met again for its slots.
                var back = Stopwatch.StartNew();
                await cluster.RestartAsync(master);
                TestContext.Out.WriteLine($"the node on {master.Port} is back as a replica {back.Elapsed.TotalSeconds:F1} s after its restart");
            });

            foreach (var view in await WaitForCountsAsync(replicas))
            {
                AssertEveryModelCountedTenTimes(view);
            }

            PrintShares(cluster.MasterFigures());
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task A_server_replica_killed_mid_stream_loses_nothing_and_its_restart_counts_every_event_once()
    {
        await using var cluster = await RedisCluster.StartAsync(replicasPerMaster: 1);
        string[] args = ["--redis_refresh_interval", "00:00:00.100"];
        var replicas = new ServerProcess[2];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await StartReplicaAsync(cluster.Url, "sigkill", args);
        }

        try
        {
            await SendEveryEventUntilAcknowledgedAsync(replicas, "sigkill", async acknowledged =>
            {
                // SIGKILL with requests in flight: what it acknowledged is in the cluster, the rest comes again through
                // the other replica; then the pod is restarted and loads the state from the cluster.
                await replicas[0].KillAsync();
                TestContext.Out.WriteLine($"SIGKILLed one server after {acknowledged} acknowledged events");
                var restarted = await StartReplicaAsync(cluster.Url, "sigkill", args);
                (var dead, replicas[0]) = (replicas[0], restarted);
                await dead.DisposeAsync();
            });

            foreach (var view in await WaitForCountsAsync(replicas))
            {
                AssertEveryModelCountedTenTimes(view);
            }
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Sends every event from <see cref="Clients"/> senders as the Knative broker does: a refusal (503) or a lost
    /// connection is retried, after a pause, through the other replica, until the event is acknowledged. After a third
    /// of the events were acknowledged <paramref name="disrupt"/> runs; events from the half on are sent only once it
    /// started, so the disruption surely comes mid-stream.
    /// </summary>
    private static async Task SendEveryEventUntilAcknowledgedAsync(ServerProcess[] replicas, string run, Func<int, Task> disrupt)
    {
        const int KillAfter = Events / 3;
        const int SendAfterKill = Events / 2;
        var acknowledged = 0;
        var next = -1;
        var statuses = new ConcurrentDictionary<string, int>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var disruption = Task.CompletedTask;
        var deadline = Stopwatch.StartNew();

        var senders = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < Events; i = Interlocked.Increment(ref next))
            {
                if (i >= SendAfterKill)
                {
                    // Bounded: should the first events never be acknowledged, their senders fail the test, not hang it.
                    await started.Task.WaitAsync(TimeSpan.FromMinutes(4));
                }

                for (var attempt = 0; ; attempt++)
                {
                    Assert.That(deadline.Elapsed, Is.LessThan(TimeSpan.FromMinutes(4)), $"event {i} was never acknowledged");
                    string outcome;
                    try
                    {
                        var (status, _, body) = await PostAsync(replicas[(i + attempt) % 2].Client, run, i);
                        outcome = status.ToString(CultureInfo.InvariantCulture);
                        if (status is >= 200 and < 300)
                        {
                            statuses.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                            break;
                        }

                        Assert.That(status, Is.GreaterThanOrEqualTo(500), $"event {i} refused for good: {body}");
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ObjectDisposedException)
                    {
                        outcome = e.GetType().Name;
                    }

                    statuses.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                    await Task.Delay(100);
                }

                if (Interlocked.Increment(ref acknowledged) == KillAfter)
                {
                    disruption = disrupt(KillAfter);
                    started.SetResult();
                }
            }
        })).ToList();

        await Task.WhenAll(senders);
        await disruption;
        TestContext.Out.WriteLine($"{acknowledged} events acknowledged in {deadline.Elapsed.TotalSeconds:F1} s; answers: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.That(acknowledged, Is.EqualTo(Events));
    }

    private static Task<ServerProcess> StartReplicaAsync(string url, string prefix, params string[] args) =>
        ServerProcess.StartAsync(Path.Combine(Path.GetTempPath(), "fm-replica-unused"), ["--state", url, "--redis_prefix", prefix, .. args]);

    private static string Deployment(int i) => $"model-{i % Deployments:00}";

    /// <summary>The Seldon event with its own id and request id, for deployment <c>i % 60</c> (<c>Ce-Inferenceservicename</c>).</summary>
    private static async Task<(int Status, string? CeType, string Body)> PostAsync(HttpClient client, string run, int i)
    {
        var fixture = Seldon with
        {
            Headers = [.. Seldon.Headers.Select(h => h.Key switch
            {
                "Ce-Id" => KeyValuePair.Create(h.Key, $"{run}-{i}"),
                "Ce-Requestid" => KeyValuePair.Create(h.Key, $"{run}-request-{i}"),
                "Ce-Inferenceservicename" => KeyValuePair.Create(h.Key, Deployment(i)),
                _ => h,
            })],
        };
        using var request = fixture.ToRequest();
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, response.Headers.TryGetValues("ce-type", out var type) ? type.Single() : null, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Polls every replica's JSON view (they follow the shared state every --redis_refresh_interval) until each counts at
    /// least every event, or a generous deadline passes; returns the views.
    /// </summary>
    private static async Task<List<JsonNode>> WaitForCountsAsync(ServerProcess[] replicas)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var views = new List<JsonNode>();
            foreach (var replica in replicas)
            {
                views.Add(JsonNode.Parse(await replica.Client.GetStringAsync("/v1/metrics?format=json"))!);
            }

            if (views.All(v => Total(v) >= Events) || clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                return views;
            }

            await Task.Delay(100);
        }
    }

    private static long Total(JsonNode view) => view["deployments"]!.AsArray().Sum(d => d!["count"]!.GetValue<long>());

    private static void AssertEveryModelCountedTenTimes(JsonNode view)
    {
        var counts = view["deployments"]!.AsArray()
            .Select(d => ($"{d!["namespace"]}/{d["deployment"]}/{d["predictor"]}/{d["model"]}", d["count"]!.GetValue<long>()))
            .OrderBy(d => d.Item1, StringComparer.Ordinal)
            .ToList();
        var expected = Enumerable.Range(0, Deployments).Select(d => ($"seldon/{Deployment(d)}/default/classifier", (long)(Events / Deployments))).ToList();
        Assert.That(Total(view), Is.EqualTo(Events), "every event counted exactly once");
        Assert.That(counts, Is.EqualTo(expected), "each model its ten events");
    }

    /// <summary>Prints each master's share of the keys, the script calls, all commands and the commands' time.</summary>
    private static void PrintShares(IReadOnlyList<RedisNodeFigures> masters)
    {
        double keys = masters.Sum(m => m.Keys), scripts = masters.Sum(m => m.ScriptCalls), calls = masters.Sum(m => m.Calls), usec = masters.Sum(m => m.Usec);
        TestContext.Out.WriteLine("master  keys (share)    script calls (share)  all commands (share)  command usec (share)");
        foreach (var m in masters)
        {
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Port}   {m.Keys,5} ({m.Keys / keys,4:P0})   {m.ScriptCalls,6} ({m.ScriptCalls / scripts,4:P0})         {m.Calls,7} ({m.Calls / calls,4:P0})        {m.Usec,8} ({m.Usec / usec,4:P0})"));
        }
    }

    /// <summary>
    /// What the test's names give the store to spread: how many of the sixty scopes would fall on each master if each
    /// scope's keys carried the hash tag <c>{PREFIX/namespace/deployment}</c> (these names need no escaping).
    /// </summary>
    private static void PrintWhereScopesWouldLive(RedisCluster cluster, string prefix)
    {
        var perMaster = Enumerable.Range(0, Deployments).GroupBy(d => cluster.MasterOf($"{{{prefix}/seldon/{Deployment(d)}}}").Port).OrderBy(g => g.Key);
        TestContext.Out.WriteLine("scopes per master, were keys tagged {" + prefix + "/namespace/deployment}: " + string.Join(", ", perMaster.Select(g => $"{g.Key}: {g.Count()}")));
    }
}
