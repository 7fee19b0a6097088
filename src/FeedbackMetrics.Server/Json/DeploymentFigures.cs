using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Segments;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Server.Json;

/// <summary>
/// One model in the JSON view: the contract's fields (identity, classes, count, accuracy, confusion matrix,
/// per-class and averaged figures) with 95 % Wilson intervals for the accuracy and each class's precision and
/// recall, the probabilistic figures when responses carried probability vectors, the reward when events carried
/// one, and a figure set per window (<c>--windows</c>), each with its label shift against the cumulative figures; with
/// <c>--segment_by</c>, the figures per segment value and the gaps across values.
/// </summary>
public sealed record DeploymentFigures(
    string Namespace,
    string Deployment,
    string Predictor,
    string Model,
    string[] Classes,
    long Count,
    double Accuracy,
    Interval AccuracyInterval,
    long[][] ConfusionMatrix,
    ClassFigureSet[] PerClass,
    AveragedFigures Macro,
    AveragedFigures Micro,
    AveragedFigures Weighted,
    ProbabilisticFigures? Probabilistic,
    RewardFigures? Reward,
    IReadOnlyDictionary<string, FigureSet> Windows)
{
    /// <summary>Per segment name and value, the value's figures; absent without segments.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, SegmentFigures>>? Segments { get; init; }

    /// <summary>Per segment name with two values or more, how far apart the values' figures lie; absent without.</summary>
    public IReadOnlyDictionary<string, SegmentGaps>? SegmentGaps { get; init; }

    /// <summary>
    /// The view's figures with the class names shown (<see cref="ClassDisplay.Shown"/>: configured names, else those the
    /// model's responses gave, <paramref name="fromModel"/>).
    /// </summary>
    public static DeploymentFigures Of(KeyView view, ClassDisplay display, IReadOnlyList<string>? fromModel = null)
    {
        var snapshot = view.Snapshot;
        var figures = view.Figures();
        var key = snapshot.Key;
        var classes = display.Shown(key, snapshot.Classes, fromModel);
        var shown = new Dictionary<string, string>(classes.Length, StringComparer.Ordinal);
        for (var i = 0; i < classes.Length; i++)
        {
            shown[snapshot.Classes[i]] = classes[i];
        }

        var all = Shown(figures.All, shown);
        return new DeploymentFigures(
            key.Namespace, key.Deployment, key.Predictor, key.Model, classes, all.Count, all.Accuracy, all.AccuracyInterval,
            all.ConfusionMatrix, all.PerClass, all.Macro, all.Micro, all.Weighted, all.Probabilistic,
            snapshot.RewardEvents == 0 ? null : new RewardFigures(snapshot.RewardTotal, snapshot.RewardEvents, snapshot.RewardTotal / snapshot.RewardEvents),
            figures.Windows.ToDictionary(w => w.Key, w => Shown(w.Value, shown), StringComparer.Ordinal))
        {
            Segments = view.Segments.Count == 0 ? null : SegmentsOf(view.Segments, shown),
            SegmentGaps = view.Segments.Count == 0 ? null : Core.Segments.SegmentGaps.Of(view.Segments),
        };
    }

    private static SortedDictionary<string, IReadOnlyDictionary<string, SegmentFigures>> SegmentsOf(IReadOnlyList<SegmentView> segments, Dictionary<string, string> shown)
    {
        var byName = new SortedDictionary<string, IReadOnlyDictionary<string, SegmentFigures>>(StringComparer.Ordinal);
        foreach (var group in segments.GroupBy(s => s.Segment.Name))
        {
            byName[group.Key] = group.ToDictionary(s => s.Segment.Value, s => SegmentFigures.Of(s.View, shown), StringComparer.Ordinal);
        }

        return byName;
    }

    internal static FigureSet Shown(FigureSet figures, Dictionary<string, string> shown) =>
        figures with { PerClass = [.. figures.PerClass.Select(c => c with { Class = shown.GetValueOrDefault(c.Class, c.Class) })] };
}

/// <summary>
/// One segment value of a model in the JSON view: the cumulative figure set of the rows counted under it (the model's
/// classes, in its order) and one per window; a count window holds the value's rows among the model's last N.
/// </summary>
public sealed record SegmentFigures(
    long Count,
    double Accuracy,
    Interval AccuracyInterval,
    long[][] ConfusionMatrix,
    ClassFigureSet[] PerClass,
    AveragedFigures Macro,
    AveragedFigures Micro,
    AveragedFigures Weighted,
    ProbabilisticFigures? Probabilistic,
    IReadOnlyDictionary<string, FigureSet> Windows)
{
    internal static SegmentFigures Of(KeyView view, Dictionary<string, string> shown)
    {
        var figures = view.Figures();
        var all = DeploymentFigures.Shown(figures.All, shown);
        return new SegmentFigures(
            all.Count, all.Accuracy, all.AccuracyInterval, all.ConfusionMatrix, all.PerClass, all.Macro, all.Micro, all.Weighted, all.Probabilistic,
            figures.Windows.ToDictionary(w => w.Key, w => DeploymentFigures.Shown(w.Value, shown), StringComparer.Ordinal));
    }
}

/// <summary>
/// The members a model's object in the JSON view has after its own figures: its deployment's late-truth join, absent
/// when the deployment has seen neither response nor truth-only feedback.
/// </summary>
/// <param name="Join">The join's counts and backlog.</param>
/// <param name="LabelDelaySeconds">Label-delay quantiles of the deployment.</param>
/// <param name="Estimated">Estimated accuracy of the deployment's pending responses.</param>
public sealed record DeploymentJoinMembers(JoinBody? Join, LabelDelayBody? LabelDelaySeconds, EstimatedBody? Estimated);
