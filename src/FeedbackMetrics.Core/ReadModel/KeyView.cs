using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Core.ReadModel;

/// <summary>
/// One key read at one moment, for the JSON view, the exposition and the alerts: its snapshot, what each window held
/// and its cumulative probability sums, all copied under the key's lock. <see cref="Figures"/> computes from the copies.
/// </summary>
public sealed record KeyView(KeySnapshot Snapshot, IReadOnlyList<WindowSpec> Specs, WindowCounts[] Windows, ProbabilitySums Probabilities)
{
    private KeyFigures? _figures;

    /// <summary>The model's segments (<c>--segment_by</c>), by name then value, each read with the model.</summary>
    public IReadOnlyList<SegmentView> Segments { get; init; } = [];

    /// <summary>The cumulative figure set and one per window (with its shift against the cumulative matrix), computed on first use.</summary>
    public KeyFigures Figures() => _figures ??= new KeyFigures(
        FigureCalculator.Compute(Snapshot.Classes, Snapshot.Matrix, Probabilities),
        WindowSet.Figures(Specs, Windows, Snapshot.Classes, Snapshot.Matrix));
}

/// <summary>The figures of one key: cumulative (<c>all</c>) and per window, by window name in <c>--windows</c> order.</summary>
public sealed record KeyFigures(FigureSet All, IReadOnlyDictionary<string, FigureSet> Windows)
{
    /// <summary>The figure set of a window by name, <c>all</c> for the cumulative one; null when there is no such window.</summary>
    public FigureSet? Of(string window) => window == "all" ? All : Windows.GetValueOrDefault(window);
}

/// <summary>One segment value of a model read with it: its figures as a key of their own (the model's classes, in its order).</summary>
public sealed record SegmentView(SegmentValue Segment, KeyView View);
