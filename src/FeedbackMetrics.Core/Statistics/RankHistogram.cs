namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// One class's scores as a one-vs-rest ranking needs them: per bin of score codes (<see cref="ScoreCodes"/>) how many
/// rows of the class (positives) and of the other classes (negatives) scored in it. Sparse: only bins holding rows are
/// kept, in order, at most <see cref="Budget"/> of them; when a new bin would pass the budget the histogram goes one
/// level coarser (neighbouring bins merge) until it fits, so it starts exact (level 0: a bin per code) and gives up
/// resolution only where its rows need more bins than it may keep. Counts are integers, so adding, taking back and
/// merging are exact; the level only grows, until <see cref="Clear"/>. Not thread-safe: its owner locks.
/// </summary>
public sealed class RankHistogram
{
    /// <summary>The budget every histogram keeps to (a time window also holds its buckets to a budget of its own).</summary>
    public const int DefaultBudget = 1024;

    private uint[] _bins = [];
    private long[] _positives = [];
    private long[] _negatives = [];

    public RankHistogram(int budget)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, 4);
        Budget = budget;
    }

    /// <summary>The most bins kept.</summary>
    public int Budget { get; }

    /// <summary>log2 of the codes per bin.</summary>
    public int Level { get; private set; }

    /// <summary>Bins holding rows now.</summary>
    public int Count { get; private set; }

    public uint Bin(int i) => _bins[i];

    public long Positives(int i) => _positives[i];

    public long Negatives(int i) => _negatives[i];

    /// <summary>A histogram as stored: its level and its bins in order.</summary>
    public static RankHistogram FromBins(int budget, int level, ReadOnlySpan<uint> bins, ReadOnlySpan<long> positives, ReadOnlySpan<long> negatives)
    {
        if (bins.Length > budget || positives.Length != bins.Length || negatives.Length != bins.Length || level is < 0 or > ScoreCodes.MaxLevel)
        {
            throw new ArgumentException($"A stored histogram of {bins.Length} bins at level {level} does not fit a budget of {budget}.");
        }

        var histogram = new RankHistogram(budget) { Level = level };
        histogram.Grow(bins.Length);
        for (var i = 0; i < bins.Length; i++)
        {
            if ((i > 0 && bins[i] <= bins[i - 1]) || positives[i] < 0 || negatives[i] < 0 || positives[i] + negatives[i] == 0)
            {
                throw new ArgumentException("Stored histogram bins must be in order and hold rows.");
            }

            histogram._bins[i] = bins[i];
            histogram._positives[i] = positives[i];
            histogram._negatives[i] = negatives[i];
        }

        histogram.Count = bins.Length;
        return histogram;
    }

    /// <summary>Adds (+1) or takes back (−1) a row whose score has <paramref name="code"/>.</summary>
    public void Add(uint code, bool positive, int sign)
    {
        var bin = ScoreCodes.BinOf(code, Level);
        var i = _bins.AsSpan(0, Count).BinarySearch(bin);
        if (i < 0)
        {
            if (sign < 0)
            {
                throw new InvalidOperationException($"No row with score code {code} to take back.");
            }

            i = ~i;
            Insert(i, bin, 0, 0);
        }

        ref var count = ref positive ? ref _positives[i] : ref _negatives[i];
        if (count + sign < 0)
        {
            throw new InvalidOperationException($"No {(positive ? "positive" : "negative")} row with score code {code} to take back.");
        }

        count += sign;
        if (_positives[i] == 0 && _negatives[i] == 0)
        {
            RemoveAt(i);
        }
        else if (Count > Budget)
        {
            Coarsen(Level + 1);
        }
    }

    /// <summary>Adds every row of another histogram, at the coarser of the two levels.</summary>
    public void Add(RankHistogram other)
    {
        if (other.Count == 0)
        {
            return;
        }

        if (other.Level > Level)
        {
            Coarsen(other.Level);
        }

        // Merge two ordered runs (the other's bins taken to this level stay in order) into new arrays.
        var length = Count + other.Count;
        var (bins, positives, negatives) = (new uint[length], new long[length], new long[length]);
        int a = 0, b = 0, n = 0;
        while (a < Count || b < other.Count)
        {
            var otherBin = b < other.Count ? Rebin(other._bins[b], other.Level, Level) : 0u;
            uint bin;
            long p = 0, q = 0;
            if (b >= other.Count || (a < Count && _bins[a] <= otherBin))
            {
                (bin, p, q) = (_bins[a], _positives[a], _negatives[a]);
                a++;
            }
            else
            {
                (bin, p, q) = (otherBin, other._positives[b], other._negatives[b]);
                b++;
            }

            if (n > 0 && bins[n - 1] == bin)
            {
                positives[n - 1] += p;
                negatives[n - 1] += q;
            }
            else
            {
                (bins[n], positives[n], negatives[n]) = (bin, p, q);
                n++;
            }
        }

        (_bins, _positives, _negatives, Count) = (bins, positives, negatives, n);
        if (Count > Budget)
        {
            Coarsen(Level + 1);
        }
    }

    /// <summary>
    /// Goes coarser, level by level, until it holds at most three quarters of its bins (sparse bins may need several
    /// levels to merge at all); false at the coarsest level already.
    /// </summary>
    public bool Shrink()
    {
        if (Level >= ScoreCodes.MaxLevel)
        {
            return false;
        }

        var target = Count * 3 / 4;
        do
        {
            Coarsen(Level + 1);
        }
        while (Count > target && Level < ScoreCodes.MaxLevel);
        return true;
    }

    /// <summary>Makes an empty histogram start at <paramref name="level"/> (a time window's new bucket starts near its others).</summary>
    public void StartAt(int level)
    {
        if (Count == 0)
        {
            Level = Math.Clamp(level, 0, ScoreCodes.MaxLevel);
        }
    }

    /// <summary>Gives back the room past its bins (a time window's bucket that no longer fills).</summary>
    public void TrimExcess()
    {
        var length = Math.Max(4, Count);
        if (_bins.Length > length)
        {
            Array.Resize(ref _bins, length);
            Array.Resize(ref _positives, length);
            Array.Resize(ref _negatives, length);
        }
    }

    /// <summary>Empties the histogram back to level 0, keeping its arrays for reuse.</summary>
    public void Clear()
    {
        Count = 0;
        Level = 0;
    }

    /// <summary>An independent copy (same budget, level and bins).</summary>
    public RankHistogram Copy() => CopyWithin(Budget);

    /// <summary>A copy kept to <paramref name="budget"/>: the same level and bins when they fit, else coarser until they do.</summary>
    public RankHistogram CopyWithin(int budget)
    {
        if (Count <= budget)
        {
            return FromBins(budget, Level, _bins.AsSpan(0, Count), _positives.AsSpan(0, Count), _negatives.AsSpan(0, Count));
        }

        var fitted = new RankHistogram(budget);
        fitted.Add(this);
        return fitted;
    }

    /// <summary>Where a bin of level <paramref name="from"/> falls at level <paramref name="to"/> (to ≥ from).</summary>
    private static uint Rebin(uint bin, int from, int to) =>
        bin is ScoreCodes.Zero or ScoreCodes.One || from == to ? bin : 1 + ((bin - 1) >> (to - from));

    /// <summary>Merges neighbouring bins, level by level from <paramref name="level"/> on, until the bins fit the budget.</summary>
    private void Coarsen(int level)
    {
        while (true)
        {
            var n = 0;
            for (var i = 0; i < Count; i++)
            {
                var bin = Rebin(_bins[i], Level, level);
                if (n > 0 && _bins[n - 1] == bin)
                {
                    _positives[n - 1] += _positives[i];
                    _negatives[n - 1] += _negatives[i];
                }
                else
                {
                    (_bins[n], _positives[n], _negatives[n]) = (bin, _positives[i], _negatives[i]);
                    n++;
                }
            }

            (Count, Level) = (n, level);
            if (Count <= Budget || level >= ScoreCodes.MaxLevel)
            {
                // Merging freed most of the room: give it back (a time window coarsens a bucket that grew before the
                // others filled), keeping twice its bins, so a bucket that fills the same way again allocates nothing.
                if (_bins.Length > (3 * Count) + 16)
                {
                    var length = (2 * Count) + 8;
                    Array.Resize(ref _bins, length);
                    Array.Resize(ref _positives, length);
                    Array.Resize(ref _negatives, length);
                }

                return;
            }

            level++;
        }
    }

    private void Insert(int i, uint bin, long positives, long negatives)
    {
        Grow(Count + 1);
        _bins.AsSpan(i, Count - i).CopyTo(_bins.AsSpan(i + 1));
        _positives.AsSpan(i, Count - i).CopyTo(_positives.AsSpan(i + 1));
        _negatives.AsSpan(i, Count - i).CopyTo(_negatives.AsSpan(i + 1));
        (_bins[i], _positives[i], _negatives[i]) = (bin, positives, negatives);
        Count++;
    }

    private void RemoveAt(int i)
    {
        _bins.AsSpan(i + 1, Count - i - 1).CopyTo(_bins.AsSpan(i));
        _positives.AsSpan(i + 1, Count - i - 1).CopyTo(_positives.AsSpan(i));
        _negatives.AsSpan(i + 1, Count - i - 1).CopyTo(_negatives.AsSpan(i));
        Count--;
    }

    /// <summary>Room for <paramref name="size"/> bins: half as much again each time, to the budget and one over it (a bin is added before coarsening).</summary>
    private void Grow(int size)
    {
        if (_bins.Length >= size)
        {
            return;
        }

        var length = Math.Min(Budget + 1, Math.Max(size, Math.Max(4, _bins.Length + (_bins.Length / 2))));
        Array.Resize(ref _bins, length);
        Array.Resize(ref _positives, length);
        Array.Resize(ref _negatives, length);
    }
}
