using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// What one bucket of a <see cref="TimeWindow"/> holds, as a value a durable store keeps instead of the bucket's rows:
/// its index (bucket widths since the Unix epoch), its row count, its non-zero confusion cells by class position and,
/// once a scored row arrived, its probability sums. A store changes it the way the window changes its bucket
/// (<see cref="Add"/>, <see cref="Move"/>), so both hold the same numbers, doubles included.
/// </summary>
public sealed class BucketState
{
    private readonly SortedDictionary<(int Truth, int Predicted), long> _cells = [];

    public BucketState(long index) => Index = index;

    public long Index { get; }

    public long Count { get; private set; }

    /// <summary>The sums of the bucket's scored rows; null while none was scored.</summary>
    public ProbabilitySums? Probabilities { get; private set; }

    /// <summary>The non-zero cells, ordered by truth then predicted (so a stored blob does not depend on history).</summary>
    public IEnumerable<(int Truth, int Predicted, long Count)> Cells
    {
        get
        {
            foreach (var ((truth, predicted), count) in _cells)
            {
                if (count != 0)
                {
                    yield return (truth, predicted, count);
                }
            }
        }
    }

    /// <summary>A state as stored.</summary>
    public static BucketState FromTotals(long index, long count, IEnumerable<(int Truth, int Predicted, long Count)> cells, ProbabilitySums? probabilities)
    {
        var state = new BucketState(index) { Count = count, Probabilities = probabilities is { Count: > 0 } ? probabilities.Copy() : null };
        foreach (var (truth, predicted, n) in cells)
        {
            state._cells[(truth, predicted)] = state._cells.GetValueOrDefault((truth, predicted)) + n;
        }

        return state;
    }

    public void Add(in WindowRow row)
    {
        _cells[(row.Truth, row.Predicted)] = _cells.GetValueOrDefault((row.Truth, row.Predicted)) + 1;
        Count++;
        if (row.Probability is { } scored)
        {
            (Probabilities ??= new ProbabilitySums()).Add(scored);
        }
    }

    /// <summary>
    /// Moves a row to its relabelled form, as <see cref="TimeWindow"/> does: false, and nothing changed, when the bucket
    /// holds no such row.
    /// </summary>
    public bool Move(in WindowRow old, in WindowRow updated)
    {
        if (_cells.GetValueOrDefault((old.Truth, old.Predicted)) <= 0 || (old.Probability.HasValue && Probabilities is not { Count: > 0 }))
        {
            return false;
        }

        if (old.Probability is { } before)
        {
            Probabilities!.Remove(before);
        }

        _cells[(old.Truth, old.Predicted)]--;
        Count--;
        Add(updated);
        return true;
    }
}
