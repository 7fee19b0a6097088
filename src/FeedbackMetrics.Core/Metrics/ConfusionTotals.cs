namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// The sums of a confusion matrix that every figure is made of — per class its support (row sum: true rows),
/// its predictions (column sum) and its hits (diagonal), and the rows predicted right — computed once per
/// snapshot and shared by the metric math, Seldon's counters and the exposition.
/// </summary>
public sealed record ConfusionTotals(long[] Support, long[] Predicted, long[] Hits, long Correct)
{
    public static ConfusionTotals Of(KeySnapshot snapshot)
    {
        var n = snapshot.Classes.Length;
        var support = new long[n];
        var predicted = new long[n];
        var hits = new long[n];
        long correct = 0;
        for (var t = 0; t < n; t++)
        {
            for (var p = 0; p < n; p++)
            {
                var cell = snapshot.Matrix[(t * n) + p];
                support[t] += cell;
                predicted[p] += cell;
            }

            hits[t] = snapshot.Matrix[(t * n) + t];
            correct += hits[t];
        }

        return new ConfusionTotals(support, predicted, hits, correct);
    }
}
