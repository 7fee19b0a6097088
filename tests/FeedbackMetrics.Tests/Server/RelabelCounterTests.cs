using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// A relabel (a later truth for a request already counted) moves its row in the matrix, but a Prometheus counter must
/// never go down: rate() would read the drop as a reset and count the whole counter again.
/// </summary>
public sealed class RelabelCounterTests
{
    private const string Response = "io.seldon.serving.inference.response";

    private static readonly Dictionary<string, string> Identity = new() { ["namespace"] = "ns", ["inferenceservicename"] = "iris", ["endpoint"] = "default", ["modelid"] = "clf" };

    private static readonly (string, string)[] Model = [("deployment_namespace", "ns"), ("deployment_name", "iris"), ("predictor_name", "default"), ("model_name", "clf")];

    [Test]
    public async Task Relabels_never_lower_a_counter_and_the_relabelled_counters_give_the_matrix_as_it_stands_across_a_restart()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        Dictionary<string, double> before;
        await using (var server = await RunningServer.StartAsync(stateDir: stateDir))
        {
            await PostAsync(server, """{"data": {"ndarray": [[0.05, 0.9, 0.05]]}}""", "resp-a", Response, "a");
            await PostAsync(server, """{"data": {"ndarray": [[0.05, 0.05, 0.9]]}}""", "resp-b", Response, "b");
            var last = await CountersAsync(server);

            // a: right, b: wrong, then a relabelled wrong, b relabelled right, a relabelled right again.
            (string Id, string RequestId, int Truth)[] truths = [("t1", "a", 1), ("t2", "b", 0), ("t3", "a", 0), ("t4", "b", 2), ("t5", "a", 1)];
            foreach (var (id, requestId, truth) in truths)
            {
                await PostAsync(server, "{\"truth\": {\"data\": {\"ndarray\": [[" + truth + "]]}}}", id, Events.FeedbackType, requestId);
                var now = await CountersAsync(server);
                foreach (var (series, value) in last)
                {
                    Assert.That(now.GetValueOrDefault(series), Is.GreaterThanOrEqualTo(value), $"after {id}: {series} went down");
                }

                last = now;
            }

            var metrics = await server.PrometheusAsync();
            var model = (await server.MetricsJsonAsync())["deployments"]!.AsArray().Single()!;
            Assert.Multiple(() =>
            {
                Assert.That(metrics.Value("feedback_metrics_join_corrections_total", [("deployment_namespace", "ns"), ("deployment_name", "iris")]), Is.EqualTo(3));
                Assert.That(metrics.Value("feedback_metrics_relabelled_rows_total", Model), Is.EqualTo(3));
                Assert.That(metrics.Value("feedback_metrics_observations_total", Model), Is.EqualTo(5), "two rows, three relabels, each truth counted");
                Assert.That(metrics.Value("feedback_metrics_correct_total", Model), Is.EqualTo(3), "a right twice, b right once");
                Assert.That(metrics.Value("feedback_metrics_relabelled_correct_total", Model), Is.EqualTo(1), "a's first right truth was replaced");
                Assert.That(metrics.Value("seldon_metric_true_positive_total", [("model_name", "clf"), ("class", "CLASS_1")]), Is.EqualTo(2));
                Assert.That(metrics.Value("seldon_metric_false_negative_total", [("model_name", "clf"), ("class", "CLASS_0")]), Is.EqualTo(2), "b's and a's wrong truths 0 both stay counted");
            });

            // The matrix as it stands, from the counters, as the PromQL of docs/metrics.md computes it, equals the JSON view's.
            var classes = model["classes"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
            var matrix = model["confusionMatrix"]!.AsArray();
            for (var t = 0; t < classes.Length; t++)
            {
                for (var p = 0; p < classes.Length; p++)
                {
                    (string, string)[] cell = [.. Model, ("true_class", classes[t]), ("predicted_class", classes[p])];
                    var net = metrics.Value("feedback_metrics_confusion_total", cell)!.Value - (metrics.Value("feedback_metrics_relabelled_total", cell) ?? 0);
                    Assert.That(net, Is.EqualTo(matrix[t]![p]!.GetValue<long>()), $"cell {classes[t]} / {classes[p]}");
                }
            }

            var accuracy = (metrics.Value("feedback_metrics_correct_total", Model) - metrics.Value("feedback_metrics_relabelled_correct_total", Model)) /
                (metrics.Value("feedback_metrics_observations_total", Model) - metrics.Value("feedback_metrics_relabelled_rows_total", Model));
            Assert.That(accuracy, Is.EqualTo(model["accuracy"]!.GetValue<double>()).And.EqualTo(1.0));
            before = last;
        }

        await using var restarted = await RunningServer.StartAsync(stateDir: stateDir);
        Assert.That(await CountersAsync(restarted), Is.EquivalentTo(before), "the relabelled counts are kept on disk");
    }

    [Test]
    public async Task A_relabel_s_metric_event_reports_only_the_rows_whose_truth_changed_so_replies_add_up_to_the_counters()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        await PostAsync(server, """{"data": {"ndarray": [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05]]}}""", "resp", Response, "r");
        var replies = new List<JsonNode>();
        foreach (var (id, truth) in new[] { ("t1", "[[0], [0]]"), ("t2", "[[0], [1]]") })
        {
            using var answer = await server.PostBinaryAsync("{\"truth\": {\"data\": {\"ndarray\": " + truth + "}}}", id, Events.FeedbackType, extensions: new Dictionary<string, string>(Identity) { ["requestid"] = "r" });
            Assert.That((int)answer.StatusCode, Is.EqualTo(200));
            replies.Add(JsonNode.Parse(await answer.Content.ReadAsStringAsync())!);
        }

        Assert.That(replies[1]["rows"]!.GetValue<int>(), Is.EqualTo(1), "only row 1 got a new truth");
        var summed = replies.SelectMany(r => r["metrics"]!.AsArray())
            .GroupBy(m => (m!["key"]!.GetValue<string>(), m["tags"]!["class"]!.GetValue<string>()))
            .ToDictionary(g => g.Key, g => g.Sum(m => m!["value"]!.GetValue<double>()));
        var metrics = await server.PrometheusAsync();
        foreach (var ((key, cls), value) in summed)
        {
            Assert.That(metrics.Value(key + "_total", [("model_name", "clf"), ("class", cls)]), Is.EqualTo(value), $"{key} {cls}: the replies add up to the counter");
        }

        Assert.That(summed[("seldon_metric_true_positive", "CLASS_1")], Is.EqualTo(1));
        Assert.That(summed.ContainsKey(("seldon_metric_true_positive", "CLASS_0")) && summed[("seldon_metric_true_positive", "CLASS_0")] == 1, Is.True, "row 0 counted once, by the first truth");
    }

    private static async Task PostAsync(RunningServer server, string body, string id, string type, string requestId)
    {
        using var answer = await server.PostBinaryAsync(body, id, type, extensions: new Dictionary<string, string>(Identity) { ["requestid"] = requestId });
        Assert.That((int)answer.StatusCode, Is.AnyOf(200, 202), $"{id}: {await answer.Content.ReadAsStringAsync()}");
    }

    /// <summary>Every sample of every counter family of the model, by series (name and labels).</summary>
    private static async Task<Dictionary<string, double>> CountersAsync(RunningServer server)
    {
        var metrics = await server.PrometheusAsync();
        return metrics.Samples
            .Where(s => (s.Name.StartsWith("seldon_metric_", StringComparison.Ordinal) || s.Name.StartsWith("feedback_metrics_", StringComparison.Ordinal))
                && metrics.Types.GetValueOrDefault(s.Name) == "counter" && s.Labels.GetValueOrDefault("model_name") == "clf")
            .ToDictionary(s => s.Name + "{" + string.Join(",", s.Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")) + "}", s => s.Value);
    }
}
