using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>A random 3-class stream sent concurrently; every figure checked against values computed here, from the raw pairs.</summary>
public sealed class RandomStreamTests
{
    private static readonly (string, string) All = ("window", "all");

    private const int Classes = 3;

    private static List<(int Truth, int Predicted)[]> Stream(int seed, int events)
    {
        var random = new Random(seed);
        var stream = new List<(int, int)[]>();
        for (var e = 0; e < events; e++)
        {
            var rows = new (int, int)[random.Next(1, 6)];
            for (var r = 0; r < rows.Length; r++)
            {
                // Class 2 is rare and often confused with 1, so figures differ between averages.
                var truth = random.NextDouble() < 0.1 ? 2 : random.Next(0, 2);
                var predicted = random.NextDouble() < 0.7 ? truth : random.Next(0, Classes);
                rows[r] = (truth, predicted);
            }

            stream.Add(rows);
        }

        return stream;
    }

    [Test]
    public async Task Json_and_prometheus_figures_equal_independently_computed_ones()
    {
        var stream = Stream(seed: 7, events: 300);
        await using var server = await RunningServer.StartAsync();
        await Parallel.ForEachAsync(stream.Select((rows, i) => (rows, i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, _) =>
        {
            using var response = await server.PostBinaryAsync(Events.OneHot(Classes, item.rows), id: $"e{item.i}");
            response.EnsureSuccessStatusCode();
        });

        var pairs = stream.SelectMany(r => r).ToList();
        var expected = Expected.From(pairs);
        var d = (await server.MetricsJsonAsync())["deployments"]![0]!;

        Assert.That(d["count"]!.GetValue<long>(), Is.EqualTo(pairs.Count));
        Assert.That(d["accuracy"]!.GetValue<double>(), Is.EqualTo(expected.Accuracy).Within(1e-12));
        for (var t = 0; t < Classes; t++)
        {
            for (var p = 0; p < Classes; p++)
            {
                Assert.That(d["confusionMatrix"]![t]![p]!.GetValue<long>(), Is.EqualTo(pairs.Count(x => x == (t, p))), $"cell {t},{p}");
            }
        }

        for (var c = 0; c < Classes; c++)
        {
            var perClass = d["perClass"]![c]!;
            Assert.That(perClass["class"]!.GetValue<string>(), Is.EqualTo($"CLASS_{c}"));
            Assert.That(perClass["precision"]!.GetValue<double>(), Is.EqualTo(expected.Precision[c]).Within(1e-12));
            Assert.That(perClass["recall"]!.GetValue<double>(), Is.EqualTo(expected.Recall[c]).Within(1e-12));
            Assert.That(perClass["f1"]!.GetValue<double>(), Is.EqualTo(expected.F1[c]).Within(1e-12));
            Assert.That(perClass["support"]!.GetValue<long>(), Is.EqualTo(expected.Support[c]));
        }

        AssertAverage(d["macro"]!, expected.Precision.Average(), expected.Recall.Average(), expected.F1.Average());
        AssertAverage(d["weighted"]!, Weighted(expected.Precision), Weighted(expected.Recall), Weighted(expected.F1));
        AssertAverage(d["micro"]!, expected.Accuracy, expected.Accuracy, expected.Accuracy);

        var prometheus = await server.PrometheusAsync();
        for (var c = 0; c < Classes; c++)
        {
            var cls = ("class", $"CLASS_{c}");
            Assert.That(prometheus.Value("seldon_metric_true_positive_total", cls), Is.EqualTo(pairs.Count(x => x.Truth == c && x.Predicted == c)));
            Assert.That(prometheus.Value("seldon_metric_false_positive_total", cls), Is.EqualTo(pairs.Count(x => x.Truth != c && x.Predicted == c)));
            Assert.That(prometheus.Value("seldon_metric_false_negative_total", cls), Is.EqualTo(pairs.Count(x => x.Truth == c && x.Predicted != c)));
            Assert.That(prometheus.Value("feedback_metrics_class_recall_ratio", cls, All), Is.EqualTo(expected.Recall[c]).Within(1e-12));
        }

        Assert.That(prometheus.Value("feedback_metrics_accuracy_ratio", All), Is.EqualTo(expected.Accuracy).Within(1e-12));
        Assert.That(prometheus.Value("feedback_metrics_f1_ratio", ("average", "macro"), All), Is.EqualTo(expected.F1.Average()).Within(1e-12));
        Assert.That(prometheus.Value("feedback_metrics_confusion_total", ("true_class", "CLASS_2"), ("predicted_class", "CLASS_1")), Is.EqualTo(pairs.Count(x => x == (2, 1))));
        Assert.That(prometheus.Value("feedback_metrics_observations_total"), Is.EqualTo(pairs.Count));
        Assert.That(prometheus.Value("feedback_metrics_events_total", ("outcome", "accepted")), Is.EqualTo(stream.Count));

        double Weighted(double[] values) => values.Select((v, c) => v * expected.Support[c]).Sum() / pairs.Count;
    }

    [Test]
    public async Task Every_exposed_family_has_help_and_a_type_and_follows_naming_rules()
    {
        await using var server = await RunningServer.StartAsync();
        await server.PostBinaryAsync(Events.OneHot(3, (0, 1), (2, 2)), id: "1");
        var prometheus = await server.PrometheusAsync();
        foreach (var (family, type) in prometheus.Types.Where(t => t.Key.StartsWith("feedback_metrics_", StringComparison.Ordinal) || t.Key.StartsWith("seldon_", StringComparison.Ordinal)))
        {
            Assert.That(prometheus.Helps[family], Is.Not.Empty, family);
            Assert.That(type == "counter", Is.EqualTo(family.EndsWith("_total", StringComparison.Ordinal)), $"{family} is a {type}");
        }

        Assert.That(prometheus.Types.Keys, Does.Contain("http_request_duration_seconds"), "prometheus-net's HTTP metrics are exposed");
    }

    private static void AssertAverage(JsonNode node, double precision, double recall, double f1)
    {
        Assert.That(node["precision"]!.GetValue<double>(), Is.EqualTo(precision).Within(1e-12));
        Assert.That(node["recall"]!.GetValue<double>(), Is.EqualTo(recall).Within(1e-12));
        Assert.That(node["f1"]!.GetValue<double>(), Is.EqualTo(f1).Within(1e-12));
    }

    /// <summary>scikit-learn's definitions, computed straight from the (truth, predicted) pairs (every class occurs in this stream).</summary>
    private sealed record Expected(double Accuracy, double[] Precision, double[] Recall, double[] F1, long[] Support)
    {
        public static Expected From(List<(int Truth, int Predicted)> pairs)
        {
            var precision = new double[Classes];
            var recall = new double[Classes];
            var f1 = new double[Classes];
            var support = new long[Classes];
            for (var c = 0; c < Classes; c++)
            {
                double tp = pairs.Count(x => x.Truth == c && x.Predicted == c);
                double predictedAs = pairs.Count(x => x.Predicted == c);
                support[c] = pairs.Count(x => x.Truth == c);
                Assert.That(support[c], Is.Positive, "the stream must contain every class");
                precision[c] = predictedAs == 0 ? 0 : tp / predictedAs;
                recall[c] = tp / support[c];
                f1[c] = precision[c] + recall[c] == 0 ? 0 : 2 * precision[c] * recall[c] / (precision[c] + recall[c]);
            }

            return new Expected((double)pairs.Count(x => x.Truth == x.Predicted) / pairs.Count, precision, recall, f1, support);
        }
    }
}
