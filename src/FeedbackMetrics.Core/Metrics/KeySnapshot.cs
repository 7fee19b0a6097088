using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// A consistent copy of one key's figures: class names, the dense confusion matrix (row-major), a version that
/// grows on every change, the sum of the rewards of Seldon's Feedback messages with how many carried one, and, once a
/// later truth has moved a row (a relabel), how many rows each cell gave up (<see cref="Relabelled"/>, same layout as
/// <see cref="Matrix"/>; null when none did).
/// </summary>
public sealed record KeySnapshot(MetricKey Key, string[] Classes, long[] Matrix, long Count, long Version, double RewardTotal = 0, long RewardEvents = 0, long[]? Relabelled = null)
{
    private ConfusionTotals? _totals;

    /// <summary>Row, column and diagonal sums, computed on first use.</summary>
    public ConfusionTotals Totals => _totals ??= ConfusionTotals.Of(this);

    public long this[int truth, int predicted] => Matrix[(truth * Classes.Length) + predicted];

    /// <summary>
    /// Every truth counted, as monotonic counters must show it: the matrix plus the rows relabels moved out of each
    /// cell (a relabelled row counts under its old truth and again under its new one, as Seldon counts every feedback
    /// it gets). The snapshot itself when nothing was relabelled.
    /// </summary>
    public KeySnapshot Counted()
    {
        if (Relabelled is not { } moved)
        {
            return this;
        }

        var matrix = new long[Matrix.Length];
        long extra = 0;
        for (var i = 0; i < matrix.Length; i++)
        {
            matrix[i] = Matrix[i] + moved[i];
            extra += moved[i];
        }

        return new KeySnapshot(Key, Classes, matrix, Count + extra, Version, RewardTotal, RewardEvents);
    }
}
