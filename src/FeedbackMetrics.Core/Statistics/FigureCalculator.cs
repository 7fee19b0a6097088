using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// Builds a <see cref="FigureSet"/> from a confusion matrix (cumulative or a window's), the probability sums of its rows
/// and, for a window, the cumulative matrix its label shift is measured against.
/// </summary>
public static class FigureCalculator
{
    // The class figures come from MetricsCalculator itself, so a window can never define precision or the averages
    // differently from the cumulative figures; it wants a key, which a figure set does not carry.
    private static readonly MetricKey NoKey = new("", "", "", "");

    /// <summary>
    /// The figures of <paramref name="matrix"/> (K×K row-major, rows the true class, columns the predicted one, in
    /// <paramref name="classes"/> order). <paramref name="baseline"/>, when given, is the cumulative matrix over the
    /// same classes: the figures then include the shift against it.
    /// </summary>
    public static FigureSet Compute(string[] classes, long[] matrix, ProbabilitySums? probabilities = null, long[]? baseline = null)
    {
        var k = classes.Length;
        if (matrix.Length != k * k || (baseline is not null && baseline.Length != k * k))
        {
            throw new ArgumentException($"Expected {k}x{k} matrices for {k} classes.");
        }

        long count = 0;
        foreach (var cell in matrix)
        {
            count += cell;
        }

        var snapshot = new KeySnapshot(NoKey, classes, matrix, count, 0);
        var summary = MetricsCalculator.Summarize(snapshot);
        var totals = snapshot.Totals;
        var perClass = new ClassFigureSet[k];
        for (var c = 0; c < k; c++)
        {
            var f = summary.PerClass[c];
            perClass[c] = new ClassFigureSet(
                f.Class,
                f.Precision,
                f.Recall,
                f.F1,
                f.Support,
                Wilson.Interval(totals.Hits[c], totals.Predicted[c]),
                Wilson.Interval(totals.Hits[c], totals.Support[c]));
        }

        return new FigureSet(
            count,
            summary.Accuracy,
            Wilson.Interval(totals.Correct, count),
            summary.ConfusionMatrix,
            perClass,
            summary.Macro,
            summary.Micro,
            summary.Weighted,
            probabilities?.ToFigures(),
            baseline is null ? null : Shift(k, totals, baseline));
    }

    /// <summary>The shift of a window (its totals) against the cumulative matrix; null when either holds no row.</summary>
    private static ShiftFigures? Shift(int k, ConfusionTotals window, long[] baseline)
    {
        var cumulativeSupport = new long[k];
        var cumulativePredicted = new long[k];
        for (var t = 0; t < k; t++)
        {
            for (var p = 0; p < k; p++)
            {
                cumulativeSupport[t] += baseline[(t * k) + p];
                cumulativePredicted[p] += baseline[(t * k) + p];
            }
        }

        var predictedPsi = Psi.Between(window.Predicted, cumulativePredicted);
        var truthPsi = Psi.Between(window.Support, cumulativeSupport);
        var estimate = ShiftEstimator.Estimate(baseline, k, window.Predicted);
        return predictedPsi is { } pp && truthPsi is { } tp && estimate is not null
            ? new ShiftFigures(pp, tp, estimate.Distribution, estimate.Method)
            : null;
    }
}
