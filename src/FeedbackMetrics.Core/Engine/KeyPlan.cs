using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// One key as planning sees it: its classes, the k it scores with, the next window sequence, and the sums its metric
/// events report (per class its support, predictions and hits, the count, the rewards). Kept by the engine between
/// groups while it matches the key (<see cref="Version"/>), so counting into a key copies nothing of it. What one
/// request changed can be taken back (<see cref="Mark"/>, <see cref="Rollback"/>) when the request is refused.
/// </summary>
internal sealed class KeyPlan
{
    /// <summary><see cref="Version"/> of a plan a group is changing: it matches its key again only once the group is applied.</summary>
    public const long InFlight = -1;

    private readonly List<(int Truth, int Predicted, int Delta)> _cells = [];
    private long[] _support;
    private long[] _predicted;
    private long[] _hits;
    private Checkpoint _mark;
    private int _written;
    private readonly HashSet<SegmentValue> _segments;
    private readonly Dictionary<string, int> _valuesPerName = new(StringComparer.Ordinal);
    private readonly List<SegmentValue> _segmentsAdded = [];

    public KeyPlan(MetricKey key, KeySnapshot? current, int topK, long nextSequence, IReadOnlyList<SegmentValue>? segments = null)
    {
        _segments = [.. segments ?? []];
        foreach (var segment in _segments)
        {
            CountValue(segment, +1);
        }

        Key = key;
        Classes = ClassSet.FromNames(current?.Classes ?? []);
        _written = Classes.Count;
        TopK = topK;
        NextSequence = nextSequence;
        var totals = current?.Totals;
        _support = totals?.Support.ToArray() ?? [];
        _predicted = totals?.Predicted.ToArray() ?? [];
        _hits = totals?.Hits.ToArray() ?? [];
        Count = current?.Count ?? 0;
        RewardTotal = current?.RewardTotal ?? 0;
        RewardEvents = current?.RewardEvents ?? 0;
    }

    public MetricKey Key { get; }

    public ClassSet Classes { get; }

    /// <summary>The version of its key this plan matches, or <see cref="InFlight"/>.</summary>
    public long Version { get; set; } = InFlight;

    public long NextSequence { get; set; }

    public int TopK { get; private set; }

    public long Count { get; private set; }

    public double RewardTotal { get; private set; }

    public long RewardEvents { get; private set; }

    /// <summary>Classes registered since the last call, in order: what the next change registers.</summary>
    public string[] TakeNewClasses()
    {
        var names = Classes.Names;
        var added = names.Count == _written ? [] : names.Skip(_written).ToArray();
        _written = names.Count;
        return added;
    }

    /// <summary>A row counted (+1) or taken out of its cell (−1).</summary>
    public void Cell(int truth, int predicted, int delta)
    {
        Grow(Classes.Count);
        _support[truth] += delta;
        _predicted[predicted] += delta;
        _hits[truth] += truth == predicted ? delta : 0;
        _cells.Add((truth, predicted, delta));
    }

    public void Counted(int rows, double? reward)
    {
        Count += rows;
        if (reward is { } r)
        {
            RewardTotal += r;
            RewardEvents++;
        }
    }

    /// <summary>
    /// The key's bounded figures as planned so far (what a metric event reports right after its event): the averages
    /// over every class, the per-class figures of the classes <paramref name="rows"/> name only.
    /// </summary>
    public ReplyFigures Figures(ReadOnlySpan<Observation> rows)
    {
        var n = Classes.Count;
        Grow(n);
        long correct = 0;
        for (var c = 0; c < n; c++)
        {
            correct += _hits[c];
        }

        var (macro, micro, weighted) = MetricsCalculator.Averages(_support.AsSpan(0, n), _predicted.AsSpan(0, n), _hits.AsSpan(0, n));
        // In the order of the matrix, as the key's figures list its classes.
        var touched = new SortedSet<int>();
        foreach (var row in rows)
        {
            touched.Add(Classes.PositionOf(row.Truth));
            touched.Add(Classes.PositionOf(row.Predicted));
        }

        var figures = new ClassFigures[touched.Count];
        var i = 0;
        foreach (var c in touched)
        {
            figures[i++] = MetricsCalculator.Of(Classes.Names[c], _support[c], _predicted[c], _hits[c]);
        }

        return new ReplyFigures(Key, n, Count, MetricsCalculator.Accuracy(correct, Count), macro, micro, weighted, figures, MetricsCalculator.Reward(RewardTotal, RewardEvents));
    }

    /// <summary>
    /// Scores a row whose response carried a probability distribution. A key scores every row with one k: the default
    /// for the width of the first vector it scored (<see cref="Statistics.TopK.DefaultFor"/>).
    /// </summary>
    public ScoredRow? Score(ScoreRows? scores, int row, ClassLabel truth)
    {
        if (scores is null)
        {
            return null;
        }

        var k = TopK == 0 ? Statistics.TopK.DefaultFor(scores.Width) : TopK;
        if (!ScoredRow.TryScore(scores, row, truth, k, out var scored))
        {
            return null;
        }

        TopK = k;
        return scored;
    }

    /// <summary>
    /// The values rows of an event are counted under: each value the model keeps already, a new one while its name has
    /// fewer than <paramref name="maxValues"/> values, else <see cref="SegmentValue.Other"/>.
    /// </summary>
    public SegmentValue[] Fold(IReadOnlyList<SegmentValue> values, int maxValues)
    {
        if (values.Count == 0)
        {
            return [];
        }

        var folded = new SegmentValue[values.Count];
        for (var i = 0; i < folded.Length; i++)
        {
            var value = values[i];
            if (!_segments.Contains(value) && value.Value != SegmentValue.Other && _valuesPerName.GetValueOrDefault(value.Name) >= maxValues)
            {
                value = value with { Value = SegmentValue.Other };
            }

            if (_segments.Add(value))
            {
                CountValue(value, +1);
                _segmentsAdded.Add(value);
            }

            folded[i] = value;
        }

        return folded;
    }

    /// <summary>Counts a name's values but <c>other</c>, what <c>--max_segment_values</c> bounds.</summary>
    private void CountValue(SegmentValue value, int delta)
    {
        if (value.Value != SegmentValue.Other)
        {
            _valuesPerName[value.Name] = _valuesPerName.GetValueOrDefault(value.Name) + delta;
        }
    }

    /// <summary>Remembers where the key stands before a request, so <see cref="Rollback"/> can go back to it.</summary>
    public void Mark()
    {
        _cells.Clear();
        _segmentsAdded.Clear();
        _mark = new Checkpoint(Classes.Count, _written, NextSequence, TopK, Count, RewardTotal, RewardEvents);
    }

    /// <summary>Takes back everything since <see cref="Mark"/>.</summary>
    public void Rollback()
    {
        for (var i = _cells.Count - 1; i >= 0; i--)
        {
            var (truth, predicted, delta) = _cells[i];
            _support[truth] -= delta;
            _predicted[predicted] -= delta;
            _hits[truth] -= truth == predicted ? delta : 0;
        }

        _cells.Clear();
        foreach (var value in _segmentsAdded)
        {
            _segments.Remove(value);
            CountValue(value, -1);
        }

        _segmentsAdded.Clear();
        Classes.TruncateTo(_mark.Classes);
        (_written, NextSequence, TopK, Count, RewardTotal, RewardEvents) = (_mark.Written, _mark.NextSequence, _mark.TopK, _mark.Count, _mark.RewardTotal, _mark.RewardEvents);
    }

    private void Grow(int classes)
    {
        if (_support.Length < classes)
        {
            var size = Math.Max(classes, _support.Length * 2);
            Array.Resize(ref _support, size);
            Array.Resize(ref _predicted, size);
            Array.Resize(ref _hits, size);
        }
    }

    private readonly record struct Checkpoint(int Classes, int Written, long NextSequence, int TopK, long Count, double RewardTotal, long RewardEvents);
}
