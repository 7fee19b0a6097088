using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>
/// Several real server processes on one shared Redis (a single server or a three-node cluster), as replicas behind
/// one trigger: clients spread events over them, a replica is SIGKILLed mid-stream and restarted, or Redis itself
/// is killed and restarted; then every event is delivered again to a random replica, as a broker retries. Nothing
/// acknowledged is lost, the global totals equal the distinct events exactly, and every replica shows the same figures.
/// </summary>
[Category("Redis")]
public sealed class RedisReplicaTests
{
    private const int Events = 3000;
    private const int Clients = 6;
    private const int Models = 4;

    [TestCase(false)]
    [TestCase(true)]
    public async Task Three_replicas_count_every_distinct_event_once_when_one_is_killed_mid_stream_and_everything_is_redelivered(bool cluster)
    {
        await using var single = cluster ? null : await RedisServer.StartAsync();
        await using var nodes = cluster ? await RedisCluster.StartAsync() : null;
        var url = single?.Url ?? nodes!.Url;
        var replicas = new ServerProcess[3];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await StartReplicaAsync(url);
        }

        try
        {
            var sent = await SendAllAsync(replicas, async () =>
            {
                await replicas[1].KillAsync();
                await replicas[1].DisposeAsync();
                replicas[1] = await StartReplicaAsync(url);
            });

            await AssertExactAfterRedeliveryAsync(replicas, sent);
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
    public async Task Redis_killed_and_restarted_mid_stream_loses_no_acknowledged_event()
    {
        await using var redis = await RedisServer.StartAsync();
        var replicas = new ServerProcess[2];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await StartReplicaAsync(redis.Url);
        }

        try
        {
            var notReady = false;
            var sent = await SendAllAsync(replicas, async () =>
            {
                await redis.KillAsync();
                for (var i = 0; i < 100 && !notReady; i++)
                {
                    using var ready = await replicas[0].Client.GetAsync("/ready");
                    notReady = !ready.IsSuccessStatusCode;
                    await Task.Delay(50);
                }

                await redis.StartAgainAsync();
            });

            Assert.That(notReady, Is.True, "/ready said false while Redis was away");
            Assert.That(sent.RetryLater, Is.Not.Zero, "deliveries were refused with 503 and Retry-After while Redis was away");
            await AssertExactAfterRedeliveryAsync(replicas, sent);
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
    public async Task One_replica_writes_the_model_series_so_summing_every_scrape_gives_the_true_totals_and_another_takes_over_when_it_dies()
    {
        await using var redis = await RedisServer.StartAsync();
        var replicas = new ServerProcess[3];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await StartReplicaAsync(redis.Url);
        }

        try
        {
            const int Sent = 300;
            await Parallel.ForEachAsync(Enumerable.Range(0, Sent), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, _) =>
            {
                using var response = await Post(replicas[i % replicas.Length].Client, i);
                Assert.That(response.IsSuccessStatusCode, Is.True);
            });
            await WaitForAgreementAsync(replicas, c => c == Sent);

            var exporter = await WaitForOneExporterAsync(replicas, Sent);
            await replicas[exporter].KillAsync();
            var survivors = replicas.Where((_, r) => r != exporter).ToArray();
            var next = await WaitForOneExporterAsync(survivors, Sent);
            TestContext.Out.WriteLine($"replica {exporter} exported, then survivor {next}");
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
    /// Waits until exactly one replica writes model series (within the exporter lease, 5 s) and the sums over every
    /// replica's scrape equal the true totals; returns that replica's index.
    /// </summary>
    private static async Task<int> WaitForOneExporterAsync(ServerProcess[] replicas, long total)
    {
        var exporters = new List<int>();
        double observations = 0, truePositives = 0;
        for (var attempt = 0; attempt < 150; attempt++)
        {
            var scrapes = new List<PrometheusText>();
            foreach (var replica in replicas)
            {
                scrapes.Add(PrometheusText.Parse(await replica.Client.GetStringAsync("/v1/metrics")));
            }

            exporters = [.. Enumerable.Range(0, replicas.Length).Where(r => scrapes[r].Samples.Any(s => s.Name == "feedback_metrics_observations_total"))];
            observations = scrapes.SelectMany(s => s.Samples).Where(s => s.Name == "feedback_metrics_observations_total").Sum(s => s.Value);
            truePositives = scrapes.SelectMany(s => s.Samples).Where(s => s.Name == "seldon_metric_true_positive_total").Sum(s => s.Value);
            var gauges = scrapes.SelectMany(s => s.Samples).Where(s => s.Name == "feedback_metrics_model_series_exporter").Sum(s => s.Value);
            if (exporters.Count == 1 && gauges == 1)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.That(exporters, Has.Count.EqualTo(1), "exactly one replica writes the per-model series");
        Assert.That(observations, Is.EqualTo(total), "the sum over every replica's scrape is the true total, not a multiple");
        Assert.That(truePositives, Is.EqualTo(total / 3), "Seldon's counters too (a third of the rows are right)");
        return exporters[0];
    }

    private static Task<ServerProcess> StartReplicaAsync(string url) =>
        ServerProcess.StartAsync(Path.Combine(Path.GetTempPath(), "fm-replica-unused"), ["--state", url, "--redis_prefix", "replicas", "--redis_refresh_interval", "00:00:00.200"]);

    /// <summary>Sends every event to a random replica until acknowledged; <paramref name="disrupt"/> runs once a third of them were.</summary>
    private static async Task<Sent> SendAllAsync(ServerProcess[] replicas, Func<Task> disrupt)
    {
        var acknowledged = new ConcurrentDictionary<int, bool>();
        var refused = 0;
        var retryLater = 0;
        var next = -1;
        var disrupted = Task.CompletedTask;
        var disruptStarted = 0;
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            for (var i = Interlocked.Increment(ref next); i < Events; i = Interlocked.Increment(ref next))
            {
                if (acknowledged.Count > Events / 3 && Interlocked.Exchange(ref disruptStarted, 1) == 0)
                {
                    disrupted = Task.Run(disrupt);
                }

                // As a broker does: a refused or lost delivery is retried after a pause, to any replica.
                for (var attempt = 0; attempt < 100 && !acknowledged.ContainsKey(i); attempt++)
                {
                    try
                    {
                        using var response = await Post(replicas[random.Next(replicas.Length)].Client, i);
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledged[i] = true;
                            continue;
                        }

                        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null)
                        {
                            Interlocked.Increment(ref retryLater);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or ObjectDisposedException or TaskCanceledException)
                    {
                        // that replica was killed under us
                    }

                    Interlocked.Increment(ref refused);
                    await Task.Delay(100);
                }
            }
        })).ToList();

        await Task.WhenAll(clients);
        await disrupted;
        Assert.That(disruptStarted, Is.EqualTo(1), "the disruption never came; the test proved nothing");
        TestContext.Out.WriteLine($"{acknowledged.Count} of {Events} acknowledged; {refused} deliveries refused or lost in flight and retried");
        Assert.That(acknowledged, Has.Count.EqualTo(Events), "every event was acknowledged in the end: the replicas (and the store) recovered by themselves");
        return new Sent(acknowledged.Count, refused, retryLater);
    }

    private static async Task AssertExactAfterRedeliveryAsync(ServerProcess[] replicas, Sent sent)
    {
        var counted = await WaitForAgreementAsync(replicas, c => c >= sent.Acknowledged);
        Assert.That(counted, Is.GreaterThanOrEqualTo(sent.Acknowledged), "an acknowledged event was lost");
        Assert.That(counted, Is.LessThanOrEqualTo(Events), "more events were counted than were sent");

        var random = new Random(42);
        var order = Enumerable.Range(0, Events).OrderBy(_ => random.Next()).ToList();
        await Parallel.ForEachAsync(order, new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, _) =>
        {
            using var response = await Post(replicas[i % replicas.Length].Client, i);
            Assert.That(response.IsSuccessStatusCode, Is.True, $"event {i}: {response.StatusCode}");
        });

        Assert.That(await WaitForAgreementAsync(replicas, c => c == Events), Is.EqualTo(Events), "after redelivery of every event, each is counted exactly once");
    }

    /// <summary>Waits until every replica's JSON view shows the same figures and the total passes the check; returns the total.</summary>
    private static async Task<long> WaitForAgreementAsync(ServerProcess[] replicas, Func<long, bool> done)
    {
        List<string> views = [];
        long total = -1;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            views = [];
            foreach (var replica in replicas)
            {
                views.Add(Figures(JsonNode.Parse(await replica.Client.GetStringAsync("/v1/metrics?format=json"))!, out total));
            }

            if (views.Distinct().Count() == 1 && done(total))
            {
                return total;
            }

            await Task.Delay(100);
        }

        Assert.That(views.Distinct().ToList(), Has.Count.EqualTo(1), "the replicas' JSON views disagree:\n" + string.Join("\n----\n", replicas.Select(r => r.Output)));
        return total;
    }

    /// <summary>
    /// Every model's identity, classes, count, confusion matrix, probabilistic figures and windows (the windows and
    /// probability sums are shared in Redis too), as one text; the total count. A model's time window (1h) must hold
    /// every row it counted, and its count window the last 100.
    /// </summary>
    private static string Figures(JsonNode json, out long total)
    {
        var deployments = json["deployments"]!.AsArray();
        total = deployments.Sum(d => d!["count"]!.GetValue<long>());
        var windowsHoldEveryRow = deployments.All(d =>
            d!["windows"]!["1h"]!["count"]!.GetValue<long>() == d["count"]!.GetValue<long>()
            && d["windows"]!["last_100"]!["count"]!.GetValue<long>() == Math.Min(100, d["count"]!.GetValue<long>())
            && d["probabilistic"]!["count"]!.GetValue<long>() == d["count"]!.GetValue<long>());
        return string.Join('\n', deployments.Select(d =>
            $"{d!["namespace"]}/{d["deployment"]}/{d["predictor"]}/{d["model"]} {d["classes"]!.ToJsonString()} {d["count"]} {d["confusionMatrix"]!.ToJsonString()} {d["probabilistic"]!.ToJsonString()} {d["windows"]!.ToJsonString()}"))
            + (windowsHoldEveryRow ? string.Empty : "\nwindows or probability sums short of the rows counted");
    }

    private static Task<HttpResponseMessage> Post(HttpClient client, int i)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Support.Events.OneHot(3, (i % 3, (i / 3) % 3)), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", Support.Events.FeedbackType);
        request.Headers.Add("ce-source", "replica-test");
        request.Headers.Add("ce-id", $"event-{i}");
        request.Headers.Add("ce-inferenceservicename", $"model-{i % Models}");
        return client.SendAsync(request);
    }

    /// <summary>Events acknowledged; deliveries refused or lost (and retried); of those, 503 answers with Retry-After.</summary>
    private sealed record Sent(int Acknowledged, int Refused, int RetryLater);
}
