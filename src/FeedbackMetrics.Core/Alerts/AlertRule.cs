using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Segments;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Alerts;

/// <summary>
/// What fires: the figure below or above a fixed threshold, the window's 95 % interval wholly below or above the
/// same figure over all rows (a drop, or a rise, that noise cannot explain), or the gap of a figure across one segment
/// name's values above a threshold (<see cref="AlertRule.Segment"/>).
/// </summary>
public enum AlertComparison
{
    Below,
    Above,
    IntervalBelowCumulative,
    IntervalAboveCumulative,
    SegmentGapAbove,
}

/// <summary>
/// One alert rule: a figure of a figure set (<see cref="Window"/>, <c>all</c> = cumulative), a comparison with a
/// threshold (or, for interval rules, with the cumulative figure), the observations the figure must rest on before the
/// rule judges at all (no flapping on a handful of rows), and which models it applies to (<see cref="KeySelector"/>).
/// A segment gap rule (<see cref="Segment"/> set) watches instead how far apart a figure lies across the values of one
/// <c>--segment_by</c> name, over all rows; its minimum observations hold for each of the two values it compares.
/// </summary>
public sealed record AlertRule(string Name, string Metric, string Window, AlertComparison Comparison, double Threshold, long MinObservations, KeySelector Selector)
{
    /// <summary>The segment name (<c>--segment_by</c>) a segment gap rule watches; null for every other rule.</summary>
    public string? Segment { get; init; }

    /// <summary>A segment gap rule fires only when the two values' 95 % intervals do not overlap (the gap is beyond noise).</summary>
    public bool RequireApart { get; init; } = true;

    /// <summary>The figures a segment gap rule can watch, by the name rules use, to their name in <see cref="SegmentGaps"/>.</summary>
    public static readonly IReadOnlyDictionary<string, string> SegmentGapMetrics = new Dictionary<string, string>
    {
        ["accuracy"] = "accuracy",
        ["recall"] = "recall",
        ["precision"] = "precision",
        ["positive_rate"] = "positiveRate",
    };

    public bool IsSegmentGapRule => Segment is not null;

    /// <summary>
    /// The figures a rule can watch, by the name rules use: the value (null when the figure set has none, e.g. no row
    /// carried a probability vector, or the cumulative figures have no shift) and the rows it rests on.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Func<FigureSet, (double Value, long Rows)?>> Metrics = new Dictionary<string, Func<FigureSet, (double, long)?>>
    {
        ["accuracy"] = f => (f.Accuracy, f.Count),
        ["error_rate"] = f => (f.Count == 0 ? 0 : 1 - f.Accuracy, f.Count),
        ["macro_precision"] = f => (f.Macro.Precision, f.Count),
        ["macro_recall"] = f => (f.Macro.Recall, f.Count),
        ["macro_f1"] = f => (f.Macro.F1, f.Count),
        ["micro_precision"] = f => (f.Micro.Precision, f.Count),
        ["micro_recall"] = f => (f.Micro.Recall, f.Count),
        ["micro_f1"] = f => (f.Micro.F1, f.Count),
        ["weighted_precision"] = f => (f.Weighted.Precision, f.Count),
        ["weighted_recall"] = f => (f.Weighted.Recall, f.Count),
        ["weighted_f1"] = f => (f.Weighted.F1, f.Count),
        ["log_loss"] = f => f.Probabilistic is { } p ? (p.LogLoss, p.Count) : null,
        ["brier"] = f => f.Probabilistic is { } p ? (p.Brier, p.Count) : null,
        ["ece"] = f => f.Probabilistic is { } p ? (p.Ece, p.Count) : null,
        ["top_k_accuracy"] = f => f.Probabilistic is { } p ? (p.TopK.Accuracy, p.Count) : null,
        ["roc_auc"] = f => f.Probabilistic is { RocAuc: { } auc } p ? (auc, p.Count) : null,
        ["average_precision"] = f => f.Probabilistic is { AveragePrecision: { } ap } p ? (ap, p.Count) : null,
        ["predicted_psi"] = f => f.Shift is { } s ? (s.PredictedPsi, f.Count) : null,
        ["truth_psi"] = f => f.Shift is { } s ? (s.TruthPsi, f.Count) : null,
    };

    /// <summary>The figures with a 95 % interval, which interval rules can watch.</summary>
    public static readonly IReadOnlyDictionary<string, Func<FigureSet, Interval>> Intervals = new Dictionary<string, Func<FigureSet, Interval>>
    {
        ["accuracy"] = f => f.AccuracyInterval,
    };

    public bool IsIntervalRule => Comparison is AlertComparison.IntervalBelowCumulative or AlertComparison.IntervalAboveCumulative;

    /// <summary>The rule's reading of a model, or null when it has nothing to judge (no such window, no such figure, no gap).</summary>
    public AlertReading? Read(KeyView view) => IsSegmentGapRule ? SegmentGapReading.Read(this, view.Segments) : Read(view.Figures());

    /// <summary>
    /// The rule's reading of a key's figures, or null when it has nothing to judge (no such window, no such figure; a
    /// segment gap rule reads segments, not figures).
    /// </summary>
    public AlertReading? Read(KeyFigures figures)
    {
        if (IsSegmentGapRule || figures.Of(Window) is not { } set || Metrics[Metric](set) is not { } reading)
        {
            return null;
        }

        if (!IsIntervalRule)
        {
            return new AlertReading(reading.Value, reading.Rows, Threshold, null, Comparison == AlertComparison.Below ? reading.Value < Threshold : reading.Value > Threshold);
        }

        var interval = Intervals[Metric](set);
        var cumulative = Metrics[Metric](figures.All)!.Value.Value;
        var breached = Comparison == AlertComparison.IntervalBelowCumulative ? interval.High < cumulative : interval.Low > cumulative;
        return new AlertReading(reading.Value, reading.Rows, cumulative, interval, breached);
    }

    public bool AppliesTo(MetricKey key) => Selector.Matches(key);
}

/// <summary>
/// What a rule read from one model: the figure, the rows it rests on, the threshold it was held against (for interval
/// rules the cumulative figure), the window's 95 % interval when the figure has one, and whether that fires. A segment
/// gap rule reads the gap as the value, the rows of the smaller of its two values, and the two values in <see cref="Gap"/>.
/// </summary>
public sealed record AlertReading(double Value, long Rows, double Threshold, Interval? Interval, bool Breached)
{
    /// <summary>The two segment values a segment gap rule compared; null for every other rule.</summary>
    public SegmentGapReading? Gap { get; init; }
}

/// <summary>Which models a rule applies to: each part an exact value, a glob with <c>*</c>, or absent for any.</summary>
public sealed record KeySelector(string? Namespace, string? Deployment, string? Predictor, string? Model)
{
    public static readonly KeySelector Any = new(null, null, null, null);

    public bool Matches(MetricKey key) =>
        Glob(Namespace, key.Namespace) && Glob(Deployment, key.Deployment) && Glob(Predictor, key.Predictor) && Glob(Model, key.Model);

    private static bool Glob(string? pattern, string value)
    {
        if (pattern is null or "*")
        {
            return true;
        }

        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return pattern == value;
        }

        var prefix = pattern[..star];
        var suffix = pattern[(star + 1)..];
        return value.Length >= prefix.Length + suffix.Length && value.StartsWith(prefix, StringComparison.Ordinal) && value.EndsWith(suffix.Replace("*", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
