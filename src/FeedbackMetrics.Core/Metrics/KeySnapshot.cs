using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// A consistent copy of one key's figures: class names, the dense confusion matrix (row-major), a version that
/// grows on every change, and the sum of the rewards of Seldon's Feedback messages with how many carried one.
/// </summary>
public sealed record KeySnapshot(MetricKey Key, string[] Classes, long[] Matrix, long Count, long Version, double RewardTotal = 0, long RewardEvents = 0)
{
    private ConfusionTotals? _totals;

    /// <summary>Row, column and diagonal sums, computed on first use.</summary>
    public ConfusionTotals Totals => _totals ??= ConfusionTotals.Of(this);

    public long this[int truth, int predicted] => Matrix[(truth * Classes.Length) + predicted];
}
