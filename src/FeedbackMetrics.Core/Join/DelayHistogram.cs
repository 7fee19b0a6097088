namespace FeedbackMetrics.Core.Join;

/// <summary>
/// Label delays in seconds kept in log-spaced buckets, so memory stays fixed whatever the traffic: eight buckets per
/// doubling from 1 ms up to 2^45 ms (about 1 100 years; the last bucket takes anything longer), one bucket below 1 ms. A quantile is the nearest-rank one
/// (the ⌈q·n⌉-th smallest delay) read back as its bucket's geometric centre, within 4.4 % of the true delay
/// (2^(1/16) − 1), 0 for the bucket below 1 ms. Not thread-safe: its owner locks.
/// </summary>
public sealed class DelayHistogram
{
    /// <summary>Buckets per doubling; the relative width of a bucket is 2^(1/8) − 1, about 9 %.</summary>
    public const int BucketsPerDoubling = 8;

    /// <summary>The smallest delay told apart from zero, in seconds.</summary>
    public const double MinSeconds = 0.001;

    private const int Doublings = 45; // 0.001 s · 2^45 ≈ 3.5e10 s
    private const int Buckets = Doublings * BucketsPerDoubling;

    // [0]: below MinSeconds; [k + 1]: [MinSeconds · 2^(k/8), MinSeconds · 2^((k+1)/8)); the last also holds everything above.
    private readonly long[] _counts = new long[Buckets + 1];

    public long Count { get; private set; }

    public void Add(double seconds)
    {
        _counts[BucketOf(seconds)]++;
        Count++;
    }

    public DelayHistogram Copy()
    {
        var copy = new DelayHistogram();
        _counts.CopyTo(copy._counts, 0);
        copy.Count = Count;
        return copy;
    }

    /// <summary>A copy of the bucket counts, for a store to keep.</summary>
    public long[] Counts() => [.. _counts];

    /// <summary>Adds stored bucket counts back (start-up restore).</summary>
    public void Restore(IReadOnlyList<long> counts)
    {
        if (counts.Count != _counts.Length)
        {
            throw new ArgumentException($"A delay histogram has {_counts.Length} buckets; {counts.Count} were given.", nameof(counts));
        }

        for (var b = 0; b < _counts.Length; b++)
        {
            _counts[b] += counts[b];
            Count += counts[b];
        }
    }

    /// <summary>The nearest-rank quantile q in [0, 1], or null when nothing was added.</summary>
    public double? Quantile(double q)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1);
        if (Count == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (var b = 0; b < _counts.Length; b++)
        {
            seen += _counts[b];
            if (seen >= rank)
            {
                return b == 0 ? 0 : MinSeconds * Math.Pow(2, (b - 1 + 0.5) / BucketsPerDoubling);
            }
        }

        throw new InvalidOperationException("The bucket counts do not add up to the count.");
    }

    private static int BucketOf(double seconds)
    {
        if (!(seconds >= MinSeconds))
        {
            return 0;
        }

        var k = (int)Math.Floor(Math.Log2(seconds / MinSeconds) * BucketsPerDoubling);

        // Log2 can round across an edge; check against the edges themselves.
        if (k > 0 && seconds < MinSeconds * Math.Pow(2, (double)k / BucketsPerDoubling))
        {
            k--;
        }
        else if (seconds >= MinSeconds * Math.Pow(2, (double)(k + 1) / BucketsPerDoubling))
        {
            k++;
        }

        return 1 + Math.Clamp(k, 0, Buckets - 1);
    }
}
