using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>A consistent copy of one key's figures: class names, the dense confusion matrix (row-major) and a version that grows on every change.</summary>
public sealed record KeySnapshot(MetricKey Key, string[] Classes, long[] Matrix, long Count, long Version)
{
    public long this[int truth, int predicted] => Matrix[(truth * Classes.Length) + predicted];
}
