using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Tests.Core;

public sealed class StatisticsFigureSetTests
{
    private const double Z = 1.959963984540054;

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(20)]
    public void Every_interval_of_a_figure_set_is_the_Wilson_interval_of_its_counts(int classes)
    {
        var random = new Random(200 + classes);
        var matrix = new long[classes * classes];
        for (var i = 0; i < 400 * classes; i++)
        {
            var (truth, _, predicted) = RandomRows.Next(random, classes);
            matrix[(truth * classes) + predicted]++;
        }

        var names = Enumerable.Range(0, classes).Select(c => $"CLASS_{c}").ToArray();
        var figures = FigureCalculator.Compute(names, matrix);

        long total = 0, correct = 0;
        for (var t = 0; t < classes; t++)
        {
            for (var p = 0; p < classes; p++)
            {
                total += matrix[(t * classes) + p];
                correct += t == p ? matrix[(t * classes) + p] : 0;
            }
        }

        AssertInterval(figures.AccuracyInterval, correct, total);
        for (var c = 0; c < classes; c++)
        {
            long support = 0, predictedAs = 0;
            for (var other = 0; other < classes; other++)
            {
                support += matrix[(c * classes) + other];
                predictedAs += matrix[(other * classes) + c];
            }

            var hits = matrix[(c * classes) + c];
            AssertInterval(figures.PerClass[c].PrecisionInterval, hits, predictedAs);
            AssertInterval(figures.PerClass[c].RecallInterval, hits, support);
            Assert.That(figures.PerClass[c].Precision, Is.EqualTo(predictedAs == 0 ? 0 : hits / (double)predictedAs).Within(1e-15));
        }
    }

    [Test]
    public void A_figure_set_keeps_the_existing_figures_and_adds_probabilistic_ones_where_rows_had_vectors()
    {
        // y_true = [0,0,1,1,2,2], y_pred = [0,1,1,1,0,2] (MetricsCalculatorTests' worked example); two rows had vectors.
        long[] matrix = [1, 1, 0, 0, 2, 0, 1, 0, 1];
        var sums = new ProbabilitySums();
        sums.Add(ScoredRow.Of([0.7, 0.2, 0.1], 0, 2));
        sums.Add(ScoredRow.Of([0.6, 0.3, 0.1], 2, 2));
        var figures = FigureCalculator.Compute(["CLASS_0", "CLASS_1", "CLASS_2"], matrix, sums);
        Assert.That(figures.Count, Is.EqualTo(6));
        Assert.That(figures.Accuracy, Is.EqualTo(4.0 / 6).Within(1e-12));
        Assert.That(figures.ConfusionMatrix, Is.EqualTo(new[] { new long[] { 1, 1, 0 }, [0, 2, 0], [1, 0, 1] }));
        Assert.That(figures.PerClass.Select(c => c.Recall), Is.EqualTo(new[] { 0.5, 1.0, 0.5 }).Within(1e-12));
        Assert.That(figures.Macro.F1, Is.EqualTo((0.5 + 0.8 + (2.0 / 3)) / 3).Within(1e-12));
        Assert.That(figures.Probabilistic!.Count, Is.EqualTo(2), "the probabilistic figures say they rest on 2 rows");
        Assert.That(figures.Probabilistic.LogLoss, Is.EqualTo(-(Math.Log(0.7) + Math.Log(0.1)) / 2).Within(1e-12));
        Assert.That(figures.Shift, Is.Null, "no baseline, no shift");
    }

    [Test]
    public void A_window_figure_set_measures_its_shift_against_the_cumulative_matrix()
    {
        // The two-class case of the shift tests: cumulative [[80, 20], [30, 70]]; the window's rows [[30, 15], [15, 40]]
        // predict (45, 55) and are true (45, 55).
        var figures = FigureCalculator.Compute(["CLASS_0", "CLASS_1"], [30, 15, 15, 40], baseline: [80, 20, 30, 70]);
        var shift = figures.Shift!;
        Assert.That(shift.PredictedPsi, Is.EqualTo(Psi.Between([45, 55], [110, 90])));
        Assert.That(shift.TruthPsi, Is.EqualTo(Psi.Between([45, 55], [100, 100])));
        Assert.That(shift.EstimatedTruthDistribution, Is.EqualTo(new[] { 0.3, 0.7 }).Within(1e-12));
        Assert.That(shift.Estimation, Is.EqualTo(ShiftMethod.Bbse));
    }

    [Test]
    public void An_empty_window_has_zero_figures_a_whole_accuracy_interval_and_no_shift()
    {
        var figures = FigureCalculator.Compute(["CLASS_0", "CLASS_1"], [0, 0, 0, 0], new ProbabilitySums(), [5, 1, 1, 5]);
        Assert.That(figures.Count, Is.Zero);
        Assert.That(figures.AccuracyInterval, Is.EqualTo(new Interval(0, 1)));
        Assert.That(figures.Probabilistic, Is.Null);
        Assert.That(figures.Shift, Is.Null);
    }

    [Test]
    public void A_figure_set_serialises_to_the_field_names_of_the_JSON_contract()
    {
        // The server's JSON context: camelCase, nulls left out, enums as strings.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
        options.Converters.Add(new JsonStringEnumConverter());
        var sums = new ProbabilitySums();
        sums.Add(ScoredRow.Of([0.7, 0.3], 0, 1));
        sums.Add(ScoredRow.Of([0.4, 0.6], 1, 1));
        var figures = FigureCalculator.Compute(["CLASS_0", "CLASS_1"], [1, 0, 0, 1], sums, [5, 1, 1, 5]);
        var json = JsonNode.Parse(JsonSerializer.Serialize(figures, options))!.AsObject();

        Assert.That(json.Select(p => p.Key), Is.EqualTo(new[] { "count", "accuracy", "accuracyInterval", "confusionMatrix", "perClass", "macro", "micro", "weighted", "probabilistic", "shift" }));
        Assert.That(json["accuracyInterval"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "low", "high" }));
        Assert.That(json["perClass"]![0]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "class", "precision", "recall", "f1", "support", "precisionInterval", "recallInterval" }));
        Assert.That(json["macro"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "precision", "recall", "f1" }));
        Assert.That(
            json["probabilistic"]!.AsObject().Select(p => p.Key),
            Is.EqualTo(new[] { "count", "logLoss", "brier", "ece", "topK", "calibration", "rocAuc", "averagePrecision", "thresholds", "bestF1Threshold" }));
        Assert.That(json["probabilistic"]!["thresholds"]![0]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "threshold", "precision", "recall", "f1", "falsePositiveRate" }));
        Assert.That(json["probabilistic"]!["topK"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "k", "accuracy" }));
        Assert.That(json["probabilistic"]!["calibration"]![5]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "low", "high", "count", "confidence", "accuracy" }));
        Assert.That(json["probabilistic"]!["calibration"]![0]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "low", "high", "count" }), "an empty bin has no mean");
        Assert.That(json["shift"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "predictedPsi", "truthPsi", "estimatedTruthDistribution", "estimation" }));
        Assert.That(json["shift"]!["estimation"]!.GetValue<string>(), Is.EqualTo("Bbse"));
    }

    private static void AssertInterval(Interval actual, long successes, long trials)
    {
        var (low, high) = StatisticsWilsonTests.QuadraticRoots(successes, trials, Z);
        Assert.That(actual.Low, Is.EqualTo(low).Within(1e-9), $"{successes}/{trials}");
        Assert.That(actual.High, Is.EqualTo(high).Within(1e-9), $"{successes}/{trials}");
    }
}
