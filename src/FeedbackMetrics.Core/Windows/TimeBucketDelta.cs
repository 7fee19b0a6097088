namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// What one group of commits does to a key's time-window buckets, for a durable store to merge into the bucket states
/// it keeps: the rows the group counted and the rows its relabels moved, per (time window, bucket index).
/// </summary>
/// <remarks>
/// A list of steps in the order the read model took them, not summed counts: the probability sums are doubles, and
/// only the same additions in the same order give the stored bucket the very doubles of the one in memory (a restart
/// then shows the figures byte for byte). A store must never write the in-memory bucket instead: it may already hold
/// rows of requests still in flight, whose commit may fail.
/// </remarks>
public sealed class TimeBucketDelta(IReadOnlyList<WindowSpec> specs)
{
    private readonly List<Step> _steps = [];

    public bool IsEmpty => _steps.Count == 0;

    /// <summary>A row counted under <paramref name="stamp"/>: it joins its bucket of every time window.</summary>
    public void Add(RowStamp stamp, in WindowRow row)
    {
        for (var w = 0; w < specs.Count; w++)
        {
            if (specs[w].Kind == WindowKind.Time)
            {
                _steps.Add(new Step(w, specs[w].BucketIndex(stamp.CountedAt), row, null));
            }
        }
    }

    /// <summary>A relabel: the row of <paramref name="stamp"/> leaves its bucket as <paramref name="old"/> and comes back as <paramref name="updated"/>.</summary>
    public void Move(RowStamp stamp, in WindowRow old, in WindowRow updated)
    {
        for (var w = 0; w < specs.Count; w++)
        {
            if (specs[w].Kind == WindowKind.Time)
            {
                _steps.Add(new Step(w, specs[w].BucketIndex(stamp.CountedAt), old, updated));
            }
        }
    }

    /// <summary>The buckets touched, each with its steps in order.</summary>
    public IEnumerable<BucketChange> Changes()
    {
        var byBucket = new Dictionary<(int Window, long Index), List<Step>>();
        var order = new List<(int Window, long Index)>();
        foreach (var step in _steps)
        {
            if (!byBucket.TryGetValue((step.Window, step.Index), out var list))
            {
                byBucket[(step.Window, step.Index)] = list = [];
                order.Add((step.Window, step.Index));
            }

            list.Add(step);
        }

        foreach (var (window, index) in order)
        {
            yield return new BucketChange(specs[window], index, byBucket[(window, index)]);
        }
    }

    /// <summary>One row added (<see cref="To"/> null) or moved from <see cref="Row"/> to <see cref="To"/>.</summary>
    public readonly record struct Step(int Window, long Index, WindowRow Row, WindowRow? To);

    /// <summary>The steps of one bucket of one time window.</summary>
    public sealed record BucketChange(WindowSpec Window, long Index, IReadOnlyList<Step> Steps)
    {
        /// <summary>
        /// Merges the steps into the bucket's stored state (a new one when it has none). A move finds no row in a bucket
        /// no longer stored (it has left the window and was pruned) and is skipped, as the window in memory skips it.
        /// </summary>
        public BucketState ApplyTo(BucketState? stored)
        {
            var state = stored ?? new BucketState(Index);
            foreach (var step in Steps)
            {
                if (step.To is { } updated)
                {
                    _ = state.Move(step.Row, updated);
                }
                else
                {
                    state.Add(step.Row);
                }
            }

            return state;
        }
    }
}
