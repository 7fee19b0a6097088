namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// Derives accuracy, per-class and averaged precision / recall / F1 from a confusion matrix, with
/// scikit-learn's definitions and <c>zero_division=0</c>. Averages run over the classes that occur in
/// the truth or the predictions, as scikit-learn's labels do when none are given.
/// </summary>
public static class MetricsCalculator
{
    /// <summary>The figures of a key; <paramref name="withMatrix"/> false leaves the confusion matrix out (an empty array), for bounded outputs.</summary>
    public static KeySummary Summarize(KeySnapshot snapshot, bool withMatrix = true)
    {
        var n = snapshot.Classes.Length;
        var matrix = new long[withMatrix ? n : 0][];
        for (var t = 0; t < matrix.Length; t++)
        {
            matrix[t] = snapshot.Matrix.AsSpan(t * n, n).ToArray();
        }

        return Summarize(snapshot.Key, snapshot.Classes, snapshot.Totals, snapshot.Count, snapshot.RewardTotal, snapshot.RewardEvents, matrix);
    }

    /// <summary>The figures of a key from its matrix's sums alone (no confusion matrix): what a metric event reports.</summary>
    public static KeySummary Summarize(Identity.MetricKey key, string[] classes, ConfusionTotals totals, long count, double rewardTotal, long rewardEvents, long[][]? matrix = null)
    {
        var n = classes.Length;
        var (support, predicted, correct) = (totals.Support, totals.Predicted, totals.Correct);
        var perClass = new ClassFigures[n];
        double macroP = 0, macroR = 0, macroF = 0, weightedP = 0, weightedR = 0, weightedF = 0;
        long microTp = 0, microPredicted = 0, microSupport = 0, totalSupport = 0;
        var present = 0;
        for (var c = 0; c < n; c++)
        {
            var tp = totals.Hits[c];
            var precision = Ratio(tp, predicted[c]);
            var recall = Ratio(tp, support[c]);
            var f1 = F1(precision, recall);
            perClass[c] = new ClassFigures(classes[c], precision, recall, f1, support[c]);
            if (support[c] == 0 && predicted[c] == 0)
            {
                continue;
            }

            present++;
            macroP += precision;
            macroR += recall;
            macroF += f1;
            weightedP += precision * support[c];
            weightedR += recall * support[c];
            weightedF += f1 * support[c];
            microTp += tp;
            microPredicted += predicted[c];
            microSupport += support[c];
            totalSupport += support[c];
        }

        var microPrecision = Ratio(microTp, microPredicted);
        var microRecall = Ratio(microTp, microSupport);
        return new KeySummary(
            key.Namespace,
            key.Deployment,
            key.Predictor,
            key.Model,
            classes,
            count,
            Ratio(correct, count),
            matrix ?? [],
            perClass,
            present == 0 ? new AveragedFigures(0, 0, 0) : new AveragedFigures(macroP / present, macroR / present, macroF / present),
            new AveragedFigures(microPrecision, microRecall, F1(microPrecision, microRecall)),
            totalSupport == 0
                ? new AveragedFigures(0, 0, 0)
                : new AveragedFigures(weightedP / totalSupport, weightedR / totalSupport, weightedF / totalSupport),
            rewardEvents == 0 ? null : new RewardFigures(rewardTotal, rewardEvents, rewardTotal / rewardEvents));
    }

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    private static double F1(double precision, double recall) =>
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
}
