using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>
/// SIGKILL while responses and truths for the same requests are flowing, then a restart on the same state and a full
/// redelivery of both sides: every request is joined and counted exactly once, nothing is left pending or parked.
/// </summary>
[Category("Crash")]
public sealed class JoinCrashTests
{
    private const int Requests = 3_000;
    private const int Clients = 6;

    [TestCase(1)]
    [TestCase(2)]
    public async Task Killed_between_responses_and_truths_the_join_counts_each_request_once_after_redelivery(int seed)
    {
        var random = new Random(seed);
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-crash", Guid.NewGuid().ToString("N"));
        var killAt = random.Next(Requests / 10, Requests * 9 / 10);
        var sent = 0;

        await using (var server = await ServerProcess.StartAsync(stateDir))
        {
            using var sending = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                for (var i = c; i < Requests && !sending.IsCancellationRequested; i += Clients)
                {
                    try
                    {
                        // Odd requests: the truth comes first and is parked.
                        foreach (var truthFirst in i % 2 == 1 ? new[] { true, false } : [false, true])
                        {
                            using var response = await (truthFirst ? PostTruth(server.Client, i) : PostResponse(server.Client, i));
                        }

                        Interlocked.Increment(ref sent);
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server died under us
                    }
                }
            })).ToList();

            // The kill comes once a number of requests had both sides answered, not after a time: a fast machine sends
            // them all within any fixed delay, a loaded one none.
            var reached = Task.Run(async () =>
            {
                while (Volatile.Read(ref sent) < killAt && !clients.All(c => c.IsCompleted))
                {
                    await Task.Delay(1);
                }
            });
            await reached.WaitAsync(TimeSpan.FromSeconds(60));
            await server.KillAsync();
            await sending.CancelAsync();
            await Task.WhenAll(clients);
        }

        TestContext.Out.WriteLine($"seed {seed}: killed once {killAt} requests' both sides were answered, with {sent} sent in the end");
        Assert.That(sent, Is.InRange(1, Requests - 1), "the kill came before or after all traffic; the test proved nothing");

        await using (var server = await ServerProcess.StartAsync(stateDir))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, _) =>
            {
                using var truth = await PostTruth(server.Client, i);
                using var response = await PostResponse(server.Client, i);
                Assert.That(truth.IsSuccessStatusCode && response.IsSuccessStatusCode, Is.True, $"request {i}: {truth.StatusCode}, {response.StatusCode}");
            });

            var model = JsonNode.Parse(await server.Client.GetStringAsync("/v1/metrics?format=json"))!["deployments"]!.AsArray().Single()!;
            Assert.Multiple(() =>
            {
                Assert.That(model["count"]!.GetValue<long>(), Is.EqualTo(Requests), "each request counted exactly once");
                Assert.That(model["windows"]!["1h"]!["confusionMatrix"]!.ToJsonString(), Is.EqualTo(model["confusionMatrix"]!.ToJsonString()), "the hour's buckets hold each joined row once");
                Assert.That(model["accuracy"]!.GetValue<double>(), Is.EqualTo(2.0 / 3).Within(1e-3));
                Assert.That(model["join"]!["joined"]!.GetValue<long>(), Is.EqualTo(Requests));
                Assert.That(model["join"]!["pendingResponses"]!.GetValue<long>(), Is.Zero);
                Assert.That(model["join"]!["parkedTruths"]!.GetValue<long>(), Is.Zero);
                Assert.That(model["join"]!["corrections"]!.GetValue<long>(), Is.Zero);
            });
        }

        Directory.Delete(stateDir, recursive: true);
    }

    private static Task<HttpResponseMessage> PostResponse(HttpClient client, int i) => JoinStream.Response(client, i, "crash-test");

    private static Task<HttpResponseMessage> PostTruth(HttpClient client, int i) => JoinStream.Truth(client, i, "crash-test");
}
