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

    /// <summary>The figures of a key from its matrix's sums alone (no confusion matrix).</summary>
    public static KeySummary Summarize(Identity.MetricKey key, string[] classes, ConfusionTotals totals, long count, double rewardTotal, long rewardEvents, long[][]? matrix = null)
    {
        var perClass = new ClassFigures[classes.Length];
        for (var c = 0; c < perClass.Length; c++)
        {
            perClass[c] = Of(classes[c], totals.Support[c], totals.Predicted[c], totals.Hits[c]);
        }

        var (macro, micro, weighted) = Averages(totals.Support, totals.Predicted, totals.Hits);
        return new KeySummary(
            key.Namespace,
            key.Deployment,
            key.Predictor,
            key.Model,
            classes,
            count,
            Ratio(totals.Correct, count),
            matrix ?? [],
            perClass,
            macro,
            micro,
            weighted,
            Reward(rewardTotal, rewardEvents));
    }

    /// <summary>One class's precision, recall and F1 from its support (true rows), predictions and hits.</summary>
    public static ClassFigures Of(string name, long support, long predicted, long hits)
    {
        var precision = Ratio(hits, predicted);
        var recall = Ratio(hits, support);
        return new ClassFigures(name, precision, recall, F1(precision, recall), support);
    }

    /// <summary>
    /// Macro, micro and weighted precision, recall and F1 over the classes that occur in the truth or the predictions,
    /// from per-class support, predictions and hits.
    /// </summary>
    public static (AveragedFigures Macro, AveragedFigures Micro, AveragedFigures Weighted) Averages(ReadOnlySpan<long> support, ReadOnlySpan<long> predicted, ReadOnlySpan<long> hits)
    {
        double macroP = 0, macroR = 0, macroF = 0, weightedP = 0, weightedR = 0, weightedF = 0;
        long microTp = 0, microPredicted = 0, microSupport = 0;
        var present = 0;
        for (var c = 0; c < support.Length; c++)
        {
            if (support[c] == 0 && predicted[c] == 0)
            {
                continue;
            }

            var precision = Ratio(hits[c], predicted[c]);
            var recall = Ratio(hits[c], support[c]);
            var f1 = F1(precision, recall);
            present++;
            macroP += precision;
            macroR += recall;
            macroF += f1;
            weightedP += precision * support[c];
            weightedR += recall * support[c];
            weightedF += f1 * support[c];
            microTp += hits[c];
            microPredicted += predicted[c];
            microSupport += support[c];
        }

        var microPrecision = Ratio(microTp, microPredicted);
        var microRecall = Ratio(microTp, microSupport);
        return (
            present == 0 ? new AveragedFigures(0, 0, 0) : new AveragedFigures(macroP / present, macroR / present, macroF / present),
            new AveragedFigures(microPrecision, microRecall, F1(microPrecision, microRecall)),
            microSupport == 0 ? new AveragedFigures(0, 0, 0) : new AveragedFigures(weightedP / microSupport, weightedR / microSupport, weightedF / microSupport));
    }

    /// <summary>The rewards' sum, count and mean; null when no event carried one.</summary>
    public static RewardFigures? Reward(double total, long events) => events == 0 ? null : new RewardFigures(total, events, total / events);

    public static double Accuracy(long correct, long count) => Ratio(correct, count);

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    private static double F1(double precision, double recall) =>
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
}
