using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Core;
using FeedbackMetrics.Tests.Support;
using static FeedbackMetrics.Tests.Support.JoinReplicas;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// The threshold-free figures on replicas sharing one Redis: the cumulative histograms live in the model's shared sums
/// and the count windows' rows carry their rank codes, so every replica shows the same ROC AUC and average precision,
/// within 1e-3 of scikit-learn's; the time windows' buckets keep no histograms, so time windows have none on Redis.
/// </summary>
[Category("Redis")]
public sealed class RankRedisTests
{
    [Test]
    public async Task Replicas_share_roc_auc_and_average_precision_of_the_cumulative_figures_and_every_window()
    {
        await using var redis = await RedisServer.StartAsync();
        var replicas = new[] { await StartReplicaAsync(redis.Url), await StartReplicaAsync(redis.Url) };
        try
        {
            var random = new Random(7);
            var sent = new List<(int Truth, double[] P)>();
            for (var e = 0; e < 40; e++)
            {
                var rows = Enumerable.Range(0, 10).Select(_ => ScoreStreams.Next(random, 2, ScoreKind.Realistic)).ToList();
                using var request = RankFigureTests.Feedback("binary-model", $"redis-rank-{e}", rows);
                using var response = await replicas[e % 2].Client.SendAsync(request);
                Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
                sent.AddRange(rows);
            }

            var views = await WaitForAgreementAsync(replicas, v => Deployment(v, "seldon", "binary-model")?["count"]?.GetValue<long>() == sent.Count);
            foreach (var view in views)
            {
                var d = Deployment(view, "seldon", "binary-model")!;
                AssertRanks(d["probabilistic"]!, sent, "all");
                AssertRanks(d["windows"]!["last_100"]!["probabilistic"]!, sent[^100..], "last_100");
                AssertRanks(d["windows"]!["1h"]!["probabilistic"]!, sent, "1h");
                Assert.That(d["probabilistic"]!["thresholds"]!.AsArray(), Has.Count.EqualTo(19));
            }

            Assert.That(views[1]["deployments"]!.ToJsonString(), Is.EqualTo(views[0]["deployments"]!.ToJsonString()), "both replicas show the same figures");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private static void AssertRanks(JsonNode probabilistic, IReadOnlyList<(int Truth, double[] P)> rows, string what)
    {
        var (auc, ap) = ExactRanking.Of(rows);
        Assert.That(probabilistic["rocAuc"]?.GetValue<double>(), Is.EqualTo(auc).Within(1e-3), $"{what}: rocAuc");
        Assert.That(probabilistic["averagePrecision"]?.GetValue<double>(), Is.EqualTo(ap).Within(1e-3), $"{what}: averagePrecision");
    }
}
