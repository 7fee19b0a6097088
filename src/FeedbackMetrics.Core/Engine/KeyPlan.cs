using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// One key as the group being planned leaves it: its classes, the k it scores with, the next window sequence, and the
/// matrix, count and rewards its metric events report. What one request changed can be taken back (<see cref="Mark"/>,
/// <see cref="Rollback"/>) when the request is refused.
/// </summary>
internal sealed class KeyPlan
{
    private readonly ConfusionMatrix _matrix = new();
    private readonly List<(int Truth, int Predicted, int Delta)> _cells = [];
    private Checkpoint _mark;
    private int _written;

    public KeyPlan(MetricKey key, KeySnapshot? current, int topK, long nextSequence)
    {
        Key = key;
        Classes = ClassSet.FromNames(current?.Classes ?? []);
        _written = Classes.Count;
        TopK = topK;
        NextSequence = nextSequence;
        if (current is { } snapshot)
        {
            var n = snapshot.Classes.Length;
            _matrix.Grow(n);
            for (var i = 0; i < snapshot.Matrix.Length; i++)
            {
                _matrix.Add(i / n, i % n, snapshot.Matrix[i]);
            }

            Count = snapshot.Count;
            RewardTotal = snapshot.RewardTotal;
            RewardEvents = snapshot.RewardEvents;
        }
    }

    public MetricKey Key { get; }

    public ClassSet Classes { get; }

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
        _matrix.Grow(Classes.Count);
        _matrix.Add(truth, predicted, delta);
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

    /// <summary>The key's figures as planned so far (what a metric event reports right after its event).</summary>
    public KeySnapshot Snapshot()
    {
        _matrix.Grow(Classes.Count);
        return new(Key, [.. Classes.Names], _matrix.ToArray(), Count, 0, RewardTotal, RewardEvents);
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

    /// <summary>Remembers where the key stands before a request, so <see cref="Rollback"/> can go back to it.</summary>
    public void Mark()
    {
        _cells.Clear();
        _mark = new Checkpoint(Classes.Count, _written, NextSequence, TopK, Count, RewardTotal, RewardEvents);
    }

    /// <summary>Takes back everything since <see cref="Mark"/>.</summary>
    public void Rollback()
    {
        for (var i = _cells.Count - 1; i >= 0; i--)
        {
            var (truth, predicted, delta) = _cells[i];
            _matrix.Add(truth, predicted, -delta);
        }

        _cells.Clear();
        Classes.TruncateTo(_mark.Classes);
        _matrix.Truncate(_mark.Classes);
        (_written, NextSequence, TopK, Count, RewardTotal, RewardEvents) = (_mark.Written, _mark.NextSequence, _mark.TopK, _mark.Count, _mark.RewardTotal, _mark.RewardEvents);
    }

    private readonly record struct Checkpoint(int Classes, int Written, long NextSequence, int TopK, long Count, double RewardTotal, long RewardEvents);
}
