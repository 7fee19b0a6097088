using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>
/// SIGKILL at a random moment while clients send, then a restart on the same state and a full redelivery
/// (as a broker retries): nothing acknowledged is lost, nothing is counted twice.
/// </summary>
[Category("Crash")]
public sealed class CrashTests
{
    private const int Events = 20_000;
    private const int Clients = 8;

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public async Task Killed_server_loses_no_acknowledged_event_and_counts_redeliveries_once(int seed)
    {
        var random = new Random(seed);
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-crash", Guid.NewGuid().ToString("N"));
        var acknowledged = new ConcurrentDictionary<int, bool>();
        var attempted = new ConcurrentDictionary<int, bool>();
        var killAt = random.Next(Events / 10, Events * 9 / 10);

        await using (var server = await ServerProcess.StartAsync(stateDir))
        {
            using var sending = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                for (var i = c; i < Events && !sending.IsCancellationRequested; i += Clients)
                {
                    attempted[i] = true;
                    try
                    {
                        using var response = await Post(server.Client, i);
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledged[i] = true;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server died under us
                    }
                }
            })).ToList();

            // The kill comes once a number of events were acknowledged, not after a time: a fast machine sends them all
            // within any fixed delay, a loaded one none.
            var reached = Task.Run(async () =>
            {
                while (acknowledged.Count < killAt && !clients.All(c => c.IsCompleted))
                {
                    await Task.Delay(1);
                }
            });
            await reached.WaitAsync(TimeSpan.FromSeconds(60));
            await server.KillAsync();
            await sending.CancelAsync();
            await Task.WhenAll(clients);
        }

        TestContext.Out.WriteLine($"seed {seed}: killed once {killAt} events were acknowledged, with {acknowledged.Count} acknowledged of {attempted.Count} attempted");
        Assert.That(acknowledged, Is.Not.Empty, "the kill came before any event was acknowledged; the test proved nothing");
        Assert.That(attempted.Count, Is.LessThan(Events), "the kill came after every event was sent; the test proved nothing");

        await using (var server = await ServerProcess.StartAsync(stateDir))
        {
            var restored = await CountAsync(server.Client);
            Assert.That(restored, Is.GreaterThanOrEqualTo(acknowledged.Count), "an acknowledged event was lost");
            Assert.That(restored, Is.LessThanOrEqualTo(attempted.Count), "more events were counted than were sent");
            await AssertHourHoldsTheCountedRowsAsync(server.Client, "after the kill");

            await Parallel.ForEachAsync(Enumerable.Range(0, Events), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, _) =>
            {
                using var response = await Post(server.Client, i);
                Assert.That(response.IsSuccessStatusCode, Is.True, $"event {i}: {response.StatusCode}");
            });

            Assert.That(await CountAsync(server.Client), Is.EqualTo(Events), "after redelivery of every event, each is counted exactly once");
            await AssertHourHoldsTheCountedRowsAsync(server.Client, "after redelivery");
        }

        Directory.Delete(stateDir, recursive: true);
    }

    private static Task<HttpResponseMessage> Post(HttpClient client, int i)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Support.Events.OneHot(3, (i % 3, (i / 3) % 3)), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", Support.Events.FeedbackType);
        request.Headers.Add("ce-source", "crash-test");
        request.Headers.Add("ce-id", $"event-{i}");
        request.Headers.Add("ce-inferenceservicename", $"model-{i % 5}");
        return client.SendAsync(request);
    }

    /// <summary>
    /// The whole stream is within the hour, so each model's 1h window (bucket states on disk, merged in each group's
    /// transaction) holds exactly its committed rows: the cumulative matrix, never a row of an uncommitted group more.
    /// </summary>
    private static async Task AssertHourHoldsTheCountedRowsAsync(HttpClient client, string when)
    {
        var json = JsonNode.Parse(await client.GetStringAsync("/v1/metrics?format=json"))!;
        foreach (var d in json["deployments"]!.AsArray())
        {
            var hour = d!["windows"]!["1h"]!;
            Assert.That(hour["count"]!.GetValue<long>(), Is.EqualTo(d["count"]!.GetValue<long>()), $"{when}: {d["name"]}");
            Assert.That(hour["confusionMatrix"]!.ToJsonString(), Is.EqualTo(d["confusionMatrix"]!.ToJsonString()), $"{when}: {d["name"]}");
        }
    }

    private static async Task<long> CountAsync(HttpClient client)
    {
        var json = JsonNode.Parse(await client.GetStringAsync("/v1/metrics?format=json"))!;
        return json["deployments"]!.AsArray().Sum(d => d!["count"]!.GetValue<long>());
    }
}
