using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;
using static FeedbackMetrics.Tests.Support.JoinReplicas;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// The late-truth join shared by replicas on Redis: three server processes on one redis-server as behind one Knative
/// trigger; the real senders' response events reach one replica, the labeller's truths another, a relabel the third.
/// </summary>
[Category("Redis")]
public sealed class JoinRedisTests
{
    /// <summary>The Seldon executor's logged response to request "hello" (seldon/multiclass-model, predicts class 2).</summary>
    private static readonly RealSenderFixture SeldonResponse = RealSenderFixture.Load("seldon-executor/response-tensor-sklearnserver");

    [Test]
    public async Task Responses_through_one_replica_join_truths_through_another_once_and_a_relabel_through_the_third_shows_alike_on_all()
    {
        await using var redis = await RedisServer.StartAsync();
        var replicas = new ServerProcess[3];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await StartReplicaAsync(redis.Url);
        }

        try
        {
            var (a, b, c) = (replicas[0], replicas[1], replicas[2]);

            // Through A: the executor's response, the KServe agent's request (ignored) and its V1 and Open Inference Protocol responses.
            Assert.That(await SendAsync(a, SeldonResponse), Is.EqualTo((202, "")));
            Assert.That((await SendAsync(a, RealSenderFixture.Load("kserve-agent/request-v1-instances"))).Status, Is.EqualTo(202));
            Assert.That(await SendAsync(a, RealSenderFixture.Load("kserve-agent/response-v1-predictions")), Is.EqualTo((202, "")));
            Assert.That(await SendAsync(a, RealSenderFixture.Load("kserve-agent/response-open-inference-protocol")), Is.EqualTo((202, "")));

            // Through B: the truths, each answered with its metric event; redelivered to B and to C, each is a duplicate.
            var seldon = await SendTruthAsync(b, "seldon", "multiclass-model", """{"truth": {"data": {"ndarray": [[0, 0, 1]]}}}""", "hello", "label-1");
            var v1 = await SendTruthAsync(b, "kserve-test", "sklearn-iris", """{"truth": {"predictions": [1, 0]}}""", "e2c3a9f0-7d41-4b6e-9f55-1a8c3d2b0e64", "label-2");
            var oip = await SendTruthAsync(b, "kserve-test", "sklearn-irisv2", """
                {"truth": {"outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}]},
                 "meta": {"puid": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"}}
                """, null, "label-3");
            Assert.Multiple(() =>
            {
                Assert.That((seldon.Status, seldon.CeType), Is.EqualTo((200, "io.seldon.serving.feedback.metrics")), seldon.Body);
                Assert.That(v1.Status, Is.EqualTo(200), v1.Body);
                Assert.That(oip.Status, Is.EqualTo(200), oip.Body);
            });
            var again = await SendTruthAsync(b, "seldon", "multiclass-model", """{"truth": {"data": {"ndarray": [[0, 0, 1]]}}}""", "hello", "label-1");
            var elsewhere = await SendTruthAsync(c, "kserve-test", "sklearn-iris", """{"truth": {"predictions": [1, 0]}}""", "e2c3a9f0-7d41-4b6e-9f55-1a8c3d2b0e64", "label-2");
            Assert.That((again.Status, again.CeType, elsewhere.Status, elsewhere.CeType), Is.EqualTo((202, (string?)null, 202, (string?)null)), "a redelivered truth is acknowledged and counted once");

            // The executor's truth-only feedback through B before its response, then the response through A: parked, then counted.
            var parked = await SendAsync(b, RealSenderFixture.Load("seldon-executor/feedback-truth-only-elasticsearch-notebook"));
            var headers = SeldonResponse.Headers.Select(h => h.Key switch
            {
                "Ce-Requestid" => KeyValuePair.Create(h.Key, "f8b21985-8687-4bb8-a94c-4fac362eb34c"),
                "Ce-Id" => KeyValuePair.Create(h.Key, "response-of-the-parked-truth"),
                _ => h,
            }).ToList();
            var joinedLate = await SendAsync(a, SeldonResponse with { Headers = headers });
            Assert.That((parked, joinedLate), Is.EqualTo(((202, ""), (202, ""))));

            // Through C: a relabel of "hello" (class 2 was right; now class 1 is the truth): the row moves, counted once.
            var relabel = await SendTruthAsync(c, "seldon", "multiclass-model", """{"truth": {"data": {"ndarray": [[0, 1, 0]]}}}""", "hello", "label-4");
            Assert.That(relabel.Status, Is.EqualTo(200), relabel.Body);

            var views = await WaitForAgreementAsync(replicas, view => Deployment(view, "seldon", "multiclass-model")?["join"]?["corrections"]?.GetValue<long>() == 1);
            var shown = views[0];
            var multiclass = Deployment(shown, "seldon", "multiclass-model")!;
            Assert.Multiple(() =>
            {
                Assert.That(multiclass["count"]!.GetValue<long>(), Is.EqualTo(2), "two requests joined, each once");
                Assert.That(multiclass["accuracy"]!.GetValue<double>(), Is.EqualTo(0.5), "the relabelled one is wrong now");

                // The row moved in the shared windows too, though replica C never counted it.
                Assert.That(multiclass["windows"]!["1h"]!["confusionMatrix"]!.ToJsonString(), Is.EqualTo(multiclass["confusionMatrix"]!.ToJsonString()));
                Assert.That(multiclass["windows"]!["last_100"]!["accuracy"]!.GetValue<double>(), Is.EqualTo(0.5));
                Assert.That(multiclass["join"]!.ToJsonString(), Is.EqualTo("""{"pendingResponses":0,"parkedTruths":0,"joined":2,"expired":0,"corrections":1,"labelCoverage":1}"""));
                Assert.That(Deployment(shown, "kserve-test", "sklearn-iris")!["count"]!.GetValue<long>(), Is.EqualTo(2));
                Assert.That(Deployment(shown, "kserve-test", "sklearn-irisv2")!["count"]!.GetValue<long>(), Is.EqualTo(2));
                Assert.That(shown["joins"]!.AsArray().Sum(j => j!["join"]!["joined"]!.GetValue<long>()), Is.EqualTo(4));
            });

            // Whichever replica exports, the relabel counts its row again and says so: no counter went down.
            var (rows, relabelled) = (0.0, 0.0);
            for (var attempt = 0; attempt < 100 && (rows, relabelled) != (3, 1); attempt++)
            {
                var samples = new List<PrometheusText.Sample>();
                foreach (var replica in replicas)
                {
                    samples.AddRange(PrometheusText.Parse(await replica.Client.GetStringAsync("/v1/metrics")).Samples.Where(x => x.Labels.GetValueOrDefault("deployment_name") == "multiclass-model"));
                }

                rows = samples.Where(x => x.Name == "feedback_metrics_observations_total").Sum(x => x.Value);
                relabelled = samples.Where(x => x.Name == "feedback_metrics_relabelled_rows_total").Sum(x => x.Value);
                await Task.Delay(100);
            }

            Assert.That((rows, relabelled), Is.EqualTo((3.0, 1.0)), "summed over the replicas: two rows counted, one counted again under its new truth");
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
    public async Task Only_the_exporting_replica_writes_the_join_series_so_their_sum_over_replicas_is_the_true_count()
    {
        await using var redis = await RedisServer.StartAsync();
        var replicas = new ServerProcess[2];
        for (var r = 0; r < replicas.Length; r++)
        {
            replicas[r] = await StartReplicaAsync(redis.Url);
        }

        try
        {
            Assert.That(await SendAsync(replicas[0], SeldonResponse), Is.EqualTo((202, "")));
            var truth = await SendTruthAsync(replicas[1], "seldon", "multiclass-model", """{"truth": {"data": {"ndarray": [[0, 0, 1]]}}}""", "hello", "label-1");
            Assert.That(truth.Status, Is.EqualTo(200), truth.Body);
            double joined = 0, responses = 0;
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var scrapes = new List<PrometheusText>();
                foreach (var replica in replicas)
                {
                    scrapes.Add(PrometheusText.Parse(await replica.Client.GetStringAsync("/v1/metrics")));
                }

                joined = scrapes.SelectMany(s => s.Samples).Where(s => s.Name == "feedback_metrics_join_joined_total").Sum(s => s.Value);
                responses = scrapes.SelectMany(s => s.Samples).Where(s => s.Name == "feedback_metrics_join_responses_total").Sum(s => s.Value);
                if (joined == 1 && responses == 1)
                {
                    break;
                }

                await Task.Delay(100);
            }

            Assert.That((joined, responses), Is.EqualTo((1.0, 1.0)), "summed over both replicas' scrapes, the join series count once");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }
}
