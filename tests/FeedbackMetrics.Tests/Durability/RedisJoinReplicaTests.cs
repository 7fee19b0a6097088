using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>
/// The join shared by replicas on Redis survives a replica's death: one replica takes half of the requests' first
/// sides and is SIGKILLed mid-stream (deliveries it did not acknowledge go, as a broker retries them, to the others),
/// the second sides come through the survivors, then both sides of every request are delivered again, each pair
/// at the same time to two replicas, on one Redis and on a three-node Redis Cluster. Every request is joined and
/// counted exactly once and every replica shows it.
/// </summary>
[Category("Redis")]
public sealed class RedisJoinReplicaTests
{
    private const int Requests = 600;
    private const int Clients = 6;

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_replica_killed_between_responses_and_truths_loses_nothing_and_every_request_joins_once(bool cluster)
    {
        await using var single = cluster ? null : await RedisServer.StartAsync();
        await using var nodes = cluster ? await RedisCluster.StartAsync() : null;
        var url = single?.Url ?? nodes!.Url;
        var replicas = new ServerProcess[3];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await JoinReplicas.StartReplicaAsync(url);
        }

        try
        {
            // First sides through replica 0 (odd requests: the truth comes first and is parked), killed a third of the way.
            var acknowledged = 0;
            var killed = Task.CompletedTask;
            await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, _) =>
            {
                if (Interlocked.Increment(ref acknowledged) == Requests / 3)
                {
                    killed = replicas[0].KillAsync();
                }

                await DeliverAsync(replicas, i % 2 == 1 ? Truth : Response, i, first: 0);
            });
            await killed;
            Assert.That(replicas[0].HasExited, Is.True, "replica 0 was killed mid-stream");

            // Second sides through the survivors only.
            var survivors = replicas[1..];
            await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, _) =>
                await DeliverAsync(survivors, i % 2 == 1 ? Response : Truth, i, first: i % 2));
            var afterKill = await JoinReplicas.WaitForAgreementAsync(survivors, view => Joined(view) == Requests);
            Assert.That(Joined(afterKill[0]), Is.EqualTo(Requests), "nothing replica 0 acknowledged before it died was lost");

            // Replica 0 back; every side delivered again, each request's two at once through two replicas.
            await replicas[0].DisposeAsync();
            replicas[0] = await JoinReplicas.StartReplicaAsync(url);
            await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (i, _) =>
                await Task.WhenAll(DeliverAsync(replicas, Truth, i, first: i % 3), DeliverAsync(replicas, Response, i, first: (i + 1) % 3)));

            var views = await JoinReplicas.WaitForAgreementAsync(replicas, view => Joined(view) == Requests);
            var model = views[0]["deployments"]!.AsArray().Single()!;
            Assert.Multiple(() =>
            {
                Assert.That(model["count"]!.GetValue<long>(), Is.EqualTo(Requests), "each request counted exactly once");
                Assert.That(model["accuracy"]!.GetValue<double>(), Is.EqualTo(2.0 / 3).Within(1e-3));
                Assert.That(model["join"]!["joined"]!.GetValue<long>(), Is.EqualTo(Requests));
                Assert.That(model["join"]!["pendingResponses"]!.GetValue<long>(), Is.Zero);
                Assert.That(model["join"]!["parkedTruths"]!.GetValue<long>(), Is.Zero);
                Assert.That(model["join"]!["corrections"]!.GetValue<long>(), Is.Zero);
                Assert.That(model["join"]!["labelCoverage"]!.GetValue<double>(), Is.EqualTo(1));

                // Windows and probability sums are shared: every replica's hold every joined row, once.
                Assert.That(model["windows"]!["1h"]!["count"]!.GetValue<long>(), Is.EqualTo(Requests));
                Assert.That(model["windows"]!["1h"]!["accuracy"]!.GetValue<double>(), Is.EqualTo(2.0 / 3).Within(1e-3));
                Assert.That(model["windows"]!["last_100"]!["count"]!.GetValue<long>(), Is.EqualTo(100));
                Assert.That(model["probabilistic"]!["count"]!.GetValue<long>(), Is.EqualTo(Requests));
                Assert.That(model["windows"]!["1h"]!["probabilistic"]!["count"]!.GetValue<long>(), Is.EqualTo(Requests));
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

    private static long Joined(JsonNode view) =>
        view["deployments"]!.AsArray().Sum(d => d!["join"]?["joined"]?.GetValue<long>() ?? 0);

    /// <summary>
    /// Delivers one side of a request as a broker does: to replica <paramref name="first"/>, and after a refusal or a
    /// lost connection again, after a pause, to the next replica, until it is acknowledged.
    /// </summary>
    private static async Task DeliverAsync(ServerProcess[] replicas, Func<HttpClient, int, Task<HttpResponseMessage>> send, int i, int first)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var replica = replicas[(first + attempt) % replicas.Length];
            try
            {
                using var response = await send(replica.Client, i);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                Assert.That((int)response.StatusCode, Is.EqualTo(503), $"request {i}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // that replica died under us
            }

            await Task.Delay(100);
        }

        Assert.Fail($"request {i} was never acknowledged");
    }

    private static Task<HttpResponseMessage> Response(HttpClient client, int i) => JoinStream.Response(client, i, "replica-join-test");

    private static Task<HttpResponseMessage> Truth(HttpClient client, int i) => JoinStream.Truth(client, i, "replica-join-test");
}
