using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Core;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// ROC AUC, average precision and the two-class threshold sweep end to end: the Seldon executor's feedback event
/// (Fixtures/RealSenders, its headers unchanged) carrying probability vectors, the JSON view and the Prometheus series,
/// against scikit-learn's definitions recomputed from the rows sent, and a restart of the SQLite state.
/// </summary>
public sealed class RankFigureTests
{
    private const string Fixture = "seldon-executor/feedback-ndarray-metrics-server-notebook";

    [Test]
    public async Task Json_and_prometheus_give_scikit_learns_figures_for_every_window_and_a_restart_keeps_them()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        var random = new Random(26);
        var sent = new Dictionary<string, List<(int Truth, double[] P)>> { ["multiclass-model"] = [], ["binary-model"] = [] };
        string before;
        try
        {
            await using (var server = await RunningServer.StartAsync(["--windows", "last_100,1h"], stateDir: stateDir))
            {
                for (var e = 0; e < 60; e++)
                {
                    var deployment = e % 2 == 0 ? "multiclass-model" : "binary-model";
                    var rows = Enumerable.Range(0, 5).Select(_ => ScoreStreams.Next(random, deployment == "binary-model" ? 2 : 3, ScoreKind.Realistic)).ToList();
                    using var request = Feedback(deployment, $"rank-{e}", rows);
                    using var response = await server.Client.SendAsync(request);
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
                    sent[deployment].AddRange(rows);
                }

                var json = await server.MetricsJsonAsync();
                var prometheus = await server.PrometheusAsync();
                foreach (var (deployment, rows) in sent)
                {
                    var d = Deployment(json, deployment);
                    AssertRanks(d["probabilistic"]!, rows, $"{deployment} all");
                    AssertRanks(d["windows"]!["last_100"]!["probabilistic"]!, rows[^100..], $"{deployment} last_100");
                    AssertRanks(d["windows"]!["1h"]!["probabilistic"]!, rows, $"{deployment} 1h");
                    foreach (var (window, p) in new[] { ("all", d["probabilistic"]!), ("last_100", d["windows"]!["last_100"]!["probabilistic"]!) })
                    {
                        var labels = new[] { ("deployment_name", deployment), ("window", window) };
                        Assert.That(prometheus.Value("feedback_metrics_roc_auc", labels), Is.EqualTo(p["rocAuc"]!.GetValue<double>()).Within(1e-12), $"{deployment} {window} gauge");
                        Assert.That(prometheus.Value("feedback_metrics_average_precision", labels), Is.EqualTo(p["averagePrecision"]!.GetValue<double>()).Within(1e-12), $"{deployment} {window} gauge");
                    }
                }

                var binary = Deployment(json, "binary-model")["probabilistic"]!;
                AssertSweep(binary, sent["binary-model"]);
                Assert.That(Deployment(json, "multiclass-model")["probabilistic"]!["thresholds"], Is.Null, "the sweep is for two classes");
                before = await server.MetricsJsonTextAsync();
            }

            await using (var server = await RunningServer.StartAsync(["--windows", "last_100,1h"], stateDir: stateDir))
            {
                Assert.That(await server.MetricsJsonTextAsync(), Is.EqualTo(before), "the figures come back as they were");
            }
        }
        finally
        {
            Directory.Delete(stateDir, recursive: true);
        }
    }

    /// <summary>The executor's feedback event with its headers, a new id, the deployment named and a body of these rows.</summary>
    internal static HttpRequestMessage Feedback(string deployment, string id, IReadOnlyList<(int Truth, double[] P)> rows)
    {
        var fixture = RealSenderFixture.Load(Fixture);
        var headers = fixture.Headers.Select(h => h.Key switch
        {
            "Ce-Id" => KeyValuePair.Create(h.Key, id),
            "Ce-Inferenceservicename" => KeyValuePair.Create(h.Key, deployment),
            _ => h,
        }).ToList();
        var response = string.Join(",", rows.Select(r => "[" + string.Join(",", r.P.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]"));
        var truth = string.Join(",", rows.Select(r => "[" + string.Join(",", Enumerable.Range(0, r.P.Length).Select(c => c == r.Truth ? "1" : "0")) + "]"));
        return (fixture with { Headers = headers, Body = Events.Body("[" + response + "]", "[" + truth + "]") }).ToRequest();
    }

    private static JsonNode Deployment(JsonObject json, string name) =>
        json["deployments"]!.AsArray().Single(d => d!["deployment"]!.GetValue<string>() == name)!;

    private static void AssertRanks(JsonNode probabilistic, IReadOnlyList<(int Truth, double[] P)> rows, string what)
    {
        var (auc, ap) = ExactRanking.Of(rows);
        Assert.That(probabilistic["rocAuc"]!.GetValue<double>(), Is.EqualTo(auc).Within(1e-3), $"{what}: rocAuc");
        Assert.That(probabilistic["averagePrecision"]!.GetValue<double>(), Is.EqualTo(ap).Within(1e-3), $"{what}: averagePrecision");
    }

    private static void AssertSweep(JsonNode probabilistic, IReadOnlyList<(int Truth, double[] P)> rows)
    {
        var steps = probabilistic["thresholds"]!.AsArray();
        Assert.That(steps, Has.Count.EqualTo(19));
        var best = (Threshold: 0.0, F1: -1.0);
        foreach (var step in steps)
        {
            var threshold = step!["threshold"]!.GetValue<double>();
            var (precision, recall, f1, fpr) = ExactRanking.At(rows, threshold);
            Assert.That(
                (step["precision"]!.GetValue<double>(), step["recall"]!.GetValue<double>(), step["f1"]!.GetValue<double>(), step["falsePositiveRate"]!.GetValue<double>()),
                Is.EqualTo((precision, recall, f1, fpr)).Within(1e-12),
                $"threshold {threshold}");
            best = f1 > best.F1 ? (threshold, f1) : best;
        }

        Assert.That(probabilistic["bestF1Threshold"]!.GetValue<double>(), Is.EqualTo(best.Threshold));
    }
}
