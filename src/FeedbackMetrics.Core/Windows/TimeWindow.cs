using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// The observations counted in the last <see cref="Span"/>, kept in a ring of buckets each <see cref="Span"/> / B wide
/// and aligned to the Unix epoch (a 1h window has a bucket per wall-clock minute). The window at time t holds the B
/// buckets up to and including t's own, so a row stays in it for between (B − 1)/B and B/B of the span after it was
/// counted. Memory is B buckets whatever the traffic; a bucket is allocated on its first row and reused when the ring
/// comes round. Adding touches one bucket; reading adds the live buckets up. Times are arguments, so a caller's
/// <see cref="TimeProvider"/> decides what "now" is. Not thread-safe: its owner locks.
/// </summary>
/// <remarks>
/// The buckets' rank histograms (ROC AUC, average precision) are held to <see cref="RankBinsPerBucket"/> bins a bucket
/// and ranked score on average over the buckets in the window, not each bucket alone: when the buckets together pass
/// it, the bucket holding the most bins goes coarser (by a quarter of its bins at least). A burst in one bucket of a
/// quiet window then keeps its scores apart (a window is read at the coarsest level of its buckets anyway), and a busy
/// window costs no more than buckets of 32 bins each. What is decided depends only on the buckets in the window, so a window put back from
/// them goes on as the live one.
/// </remarks>
public sealed class TimeWindow
{
    /// <summary>Rank bins the window's buckets hold together, per bucket and ranked score.</summary>
    public const int RankBinsPerBucket = 32;

    private readonly TimeBucket?[] _buckets;
    private readonly long _width;
    private long _head = long.MinValue;
    private long _rankBins;

    public TimeWindow(TimeSpan span, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        if (span <= TimeSpan.Zero || span.Ticks % buckets != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(span), span, $"The span must be positive and split into {buckets} buckets of whole ticks.");
        }

        Span = span;
        _buckets = new TimeBucket?[buckets];
        _width = span.Ticks / buckets;
    }

    public TimeSpan Span { get; }

    public TimeSpan BucketWidth => TimeSpan.FromTicks(_width);

    /// <summary>Adds a row counted at <paramref name="countedAt"/>; false when that is already outside the window.</summary>
    public bool Add(in WindowRow row, DateTimeOffset countedAt)
    {
        var index = IndexOf(countedAt);
        Advance(index);
        if (index <= _head - _buckets.Length)
        {
            return false;
        }

        var slot = (int)(index % _buckets.Length);
        var bucket = _buckets[slot] ??= new TimeBucket();
        if (bucket.Index != index)
        {
            // The slot last held a slice that has left the window (its bins were counted out when it left).
            bucket.Reset(index);
        }

        bucket.Cells.Add(row.Truth, row.Predicted, 1);
        bucket.Count++;
        if (row.Probability is { } scored)
        {
            var sums = bucket.Probabilities ??= new ProbabilitySums();
            if (sums.Count == 0)
            {
                sums.RankStartLevel = StartLevel();
            }

            var bins = sums.RankBins;
            sums.Add(scored);
            Fit(sums.RankBins - bins, sums);
        }

        return true;
    }

    /// <summary>
    /// Takes back a row added with the same <paramref name="countedAt"/> (the first half of a relabel): false when its
    /// bucket has left the window or holds no such row.
    /// </summary>
    public bool Remove(in WindowRow row, DateTimeOffset countedAt)
    {
        var index = IndexOf(countedAt);
        if (index > _head || index <= _head - _buckets.Length)
        {
            return false;
        }

        var bucket = _buckets[(int)(index % _buckets.Length)];
        if (bucket is null || bucket.Index != index || bucket.Cells.Get(row.Truth, row.Predicted) <= 0)
        {
            return false;
        }

        if (row.Probability is { } scored)
        {
            if (bucket.Probabilities is not { Count: > 0 } sums)
            {
                return false;
            }

            var bins = sums.RankBins;
            sums.Remove(scored);
            Fit(sums.RankBins - bins, sums);
        }

        bucket.Cells.Add(row.Truth, row.Predicted, -1);
        bucket.Count--;
        return true;
    }

    /// <summary>
    /// Puts back a bucket a durable store kept (start-up): it takes the slot of its index unless a newer bucket holds
    /// that slot already. Buckets that have left the window by now are kept but not read, as if counted live.
    /// </summary>
    public void Restore(BucketState state)
    {
        Advance(state.Index);
        var bucket = _buckets[(int)(state.Index % _buckets.Length)] ??= new TimeBucket();
        if (bucket.Index > state.Index)
        {
            return;
        }

        if (IsLive(bucket))
        {
            _rankBins -= bucket.Probabilities?.RankBins ?? 0;
        }

        bucket.Reset(state.Index);
        foreach (var (truth, predicted, count) in state.Cells)
        {
            bucket.Cells.Add(truth, predicted, count);
        }

        bucket.Count = state.Count;
        if (state.Probabilities is { Count: > 0 } sums)
        {
            var restored = bucket.Probabilities ??= new ProbabilitySums();
            restored.Add(sums);
            if (IsLive(bucket))
            {
                Fit(restored.RankBins, restored);
            }
        }
    }

    /// <summary>The states of the buckets still in the window that hold rows (a store turning stored rows into buckets writes them).</summary>
    public List<BucketState> States()
    {
        var states = new List<BucketState>();
        foreach (var bucket in _buckets)
        {
            if (bucket is { Count: > 0 } && bucket.Index > _head - _buckets.Length)
            {
                states.Add(BucketState.FromTotals(bucket.Index, bucket.Count, bucket.Cells.NonZero(), bucket.Probabilities));
            }
        }

        return states;
    }

    /// <summary>A copy of what the window holds at <paramref name="now"/>, over <paramref name="classes"/> classes.</summary>
    public WindowCounts Read(DateTimeOffset now, int classes)
    {
        // A clock behind the newest row reads at the newest row: what has been counted is not un-counted.
        var current = Math.Max(IndexOf(now), _head);
        var matrix = new long[classes * classes];
        var sums = new ProbabilitySums();
        long count = 0;
        foreach (var bucket in _buckets)
        {
            if (bucket is not null && bucket.Index > current - _buckets.Length && bucket.Index <= current)
            {
                bucket.Cells.AddTo(matrix, classes);
                count += bucket.Count;
                if (bucket.Probabilities is { } p)
                {
                    sums.Add(p);
                }
            }
        }

        return new WindowCounts(classes, matrix, count, sums);
    }

    private long IndexOf(DateTimeOffset time) => time.UtcTicks / _width;

    private bool IsLive(TimeBucket bucket) => bucket.Count > 0 && bucket.Index > _head - _buckets.Length && bucket.Index <= _head;

    /// <summary>Moves the newest bucket index on; the bins of buckets that leave the window stop counting.</summary>
    private void Advance(long index)
    {
        if (index <= _head)
        {
            return;
        }

        // The bucket the window leaves behind fills no more: its histograms keep only the bins they hold.
        if (_head >= 0 && _buckets[(int)(_head % _buckets.Length)] is { } closed && closed.Index == _head)
        {
            closed.Probabilities?.TrimRanks();
        }

        _head = index;
        _rankBins = 0;
        foreach (var bucket in _buckets)
        {
            if (bucket is not null && IsLive(bucket))
            {
                _rankBins += bucket.Probabilities?.RankBins ?? 0;
            }
        }
    }

    /// <summary>
    /// The level a new bucket's rank histograms start at: the finest of the live buckets' (their coarsest histogram
    /// each), so a busy window's new bucket does not first grow fine bins it would give up (and reuses its arrays);
    /// one finer while the buckets hold less than half their budget, so a window whose traffic fell gets finer again.
    /// </summary>
    private int StartLevel()
    {
        var (level, histograms) = (int.MaxValue, 1);
        foreach (var bucket in _buckets)
        {
            if (bucket is { Probabilities.Ranks: { } ranks } && IsLive(bucket))
            {
                (level, histograms) = (Math.Min(level, ranks.Level), ranks.Histograms.Count);
            }
        }

        if (level == int.MaxValue)
        {
            return 0;
        }

        return _rankBins * 2 < (long)RankBinsPerBucket * _buckets.Length * histograms ? Math.Max(0, level - 1) : level;
    }

    /// <summary>
    /// Counts <paramref name="change"/> more bins (of <paramref name="sums"/>, a live bucket's) and, while the buckets
    /// hold more than their budget, makes the bucket with the most bins (the oldest of equals) one level coarser.
    /// </summary>
    private void Fit(long change, ProbabilitySums sums)
    {
        _rankBins += change;
        var budget = (long)RankBinsPerBucket * _buckets.Length * Math.Max(1, sums.Ranks?.Histograms.Count ?? 1);
        while (_rankBins > budget)
        {
            TimeBucket? largest = null;
            foreach (var bucket in _buckets)
            {
                if (bucket is { Probabilities: { } p } && IsLive(bucket) &&
                    (largest is null || p.RankBins > largest.Probabilities!.RankBins || (p.RankBins == largest.Probabilities!.RankBins && bucket.Index < largest.Index)))
                {
                    largest = bucket;
                }
            }

            var before = largest?.Probabilities!.RankBins ?? 0;
            if (largest is null || !largest.Probabilities!.CoarsenRanks())
            {
                return;
            }

            _rankBins += largest.Probabilities.RankBins - before;
            if (largest.Index != _head)
            {
                largest.Probabilities.TrimRanks();
            }
        }
    }
}
