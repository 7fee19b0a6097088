using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Core.ReadModel;

/// <summary>
/// Everything one key holds, exactly (doubles included), as a state log keeps it in a snapshot: classes in matrix order,
/// the cumulative and relabelled matrices, counts, rewards, probability sums and the k they were scored with, and
/// each window's contents (<see cref="WindowImage"/>). <see cref="KeyAggregate.Restore(ModelImage)"/> gives back the
/// very key <see cref="KeyAggregate.Export"/> took it from.
/// </summary>
public sealed record ModelImage(
    MetricKey Key,
    string[] Classes,
    long[] Matrix,
    long[]? Relabelled,
    long Count,
    double RewardTotal,
    long RewardEvents,
    ProbabilitySums Probabilities,
    int TopK,
    IReadOnlyList<WindowImage> Windows)
{
    /// <summary>The image of each segment value the model keeps (<c>--segment_by</c>), by name then value.</summary>
    public IReadOnlyList<(SegmentValue Segment, ModelImage Image)> Segments { get; init; } = [];
}
