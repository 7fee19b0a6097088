namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// The threshold-free part of a <see cref="ProbabilitySums"/>: the rows ranked (their vectors one width wide), a
/// <see cref="RankHistogram"/> per ranked score (two classes: the second class's; more: every class's, one-vs-rest) and,
/// for two classes, per threshold step (0.05 … 0.95) the positives and negatives that reach it and no further. Integer
/// counts throughout, so rows add, come back out and merge exactly. Not thread-safe: its owner locks.
/// </summary>
public sealed class RankSums
{
    private readonly RankHistogram[] _histograms;
    private readonly long[]? _steps;

    public RankSums(int width, int budget)
    {
        if (width < 2 || width > RankCodes.MaxClasses)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"Ranked vectors have 2 to {RankCodes.MaxClasses} classes.");
        }

        Width = width;
        Budget = budget;
        _histograms = new RankHistogram[width == 2 ? 1 : width];
        for (var i = 0; i < _histograms.Length; i++)
        {
            _histograms[i] = new RankHistogram(BudgetOf(budget, _histograms.Length));
        }

        _steps = width == 2 ? new long[2 * (ScoreCodes.Thresholds + 1)] : null;
    }

    /// <summary>The fewest bins a histogram keeps, however many classes share the budget.</summary>
    public const int MinHistogramBudget = 128;

    /// <summary>
    /// The budget of each of <paramref name="histograms"/> histograms of sums with <paramref name="budget"/>: the sums'
    /// budget for up to two, then twice it shared among them (a many-class model's histograms go coarser sooner, so its
    /// memory grows slower than its classes), never below <see cref="MinHistogramBudget"/>.
    /// </summary>
    public static int BudgetOf(int budget, int histograms) => Math.Clamp(2 * budget / histograms, Math.Min(MinHistogramBudget, budget), budget);

    /// <summary>The width of the vectors ranked here: rows of another width are not ranked by these sums.</summary>
    public int Width { get; }

    public int Budget { get; }

    /// <summary>Rows ranked.</summary>
    public long Ranked { get; private set; }

    /// <summary>The histogram of each ranked score: index 0 the second class's for two classes, else class i's.</summary>
    public IReadOnlyList<RankHistogram> Histograms => _histograms;

    /// <summary>Bins held by all the histograms together.</summary>
    public int Bins
    {
        get
        {
            var bins = 0;
            foreach (var histogram in _histograms)
            {
                bins += histogram.Count;
            }

            return bins;
        }
    }

    /// <summary>Two classes: positives reaching exactly step s at [s], negatives at [20 + s]; empty otherwise.</summary>
    public ReadOnlySpan<long> Steps => _steps;

    /// <summary>Sums as stored (each histogram kept to the budget these sums give it).</summary>
    public static RankSums FromStored(int width, int budget, long ranked, IReadOnlyList<RankHistogram> histograms, ReadOnlySpan<long> steps)
    {
        var sums = new RankSums(width, budget) { Ranked = ranked };
        if (histograms.Count != sums._histograms.Length || steps.Length != (sums._steps?.Length ?? 0))
        {
            throw new ArgumentException($"Stored rank sums do not fit vectors of {width} classes.");
        }

        for (var i = 0; i < histograms.Count; i++)
        {
            sums._histograms[i] = histograms[i].CopyWithin(sums._histograms[i].Budget);
        }

        steps.CopyTo(sums._steps);
        return sums;
    }

    /// <summary>
    /// The sums of a list of rows at once (a count window read from its ring): the width is the first ranked row's,
    /// rows of another width are not ranked; each histogram is built from its sorted codes, so n rows cost n log n,
    /// not the n² of adding them one by one to an ordered histogram. Null when no row is ranked.
    /// </summary>
    public static RankSums? FromRows(IReadOnlyList<RankCodes> rows, int budget)
    {
        var width = 0;
        foreach (var row in rows)
        {
            if (row.IsRanked)
            {
                width = row.Width;
                break;
            }
        }

        if (width == 0)
        {
            return null;
        }

        var sums = new RankSums(width, budget);
        var keys = new ulong[rows.Count];
        for (var h = 0; h < sums._histograms.Length; h++)
        {
            // A row's code and whether it is a positive in one sortable key.
            var n = 0;
            foreach (var row in rows)
            {
                if (row.Width == width)
                {
                    keys[n++] = ((ulong)row.Code(h) << 1) | (row.IsPositive(h) ? 1UL : 0);
                }
            }

            Array.Sort(keys, 0, n);
            var (bins, positives, negatives) = (new List<uint>(), new List<long>(), new List<long>());
            for (var i = 0; i < n; i++)
            {
                var code = (uint)(keys[i] >> 1);
                if (bins.Count == 0 || bins[^1] != code)
                {
                    bins.Add(code);
                    positives.Add(0);
                    negatives.Add(0);
                }

                if ((keys[i] & 1) != 0)
                {
                    positives[^1]++;
                }
                else
                {
                    negatives[^1]++;
                }
            }

            var exact = RankHistogram.FromBins(Math.Max(4, bins.Count), 0, [.. bins], [.. positives], [.. negatives]);
            sums._histograms[h] = exact.CopyWithin(sums._histograms[h].Budget);
            sums.Ranked = n;
        }

        foreach (var row in rows)
        {
            if (row.Width == width && sums._steps is not null)
            {
                sums._steps[(row.IsPositive(0) ? 0 : ScoreCodes.Thresholds + 1) + row.Step]++;
            }
        }

        return sums;
    }

    /// <summary>Adds (+1) or takes back (−1) a row ranked at this width.</summary>
    public void Add(in RankCodes row, int sign)
    {
        if (row.Width != Width)
        {
            throw new ArgumentException($"A row of {row.Width} classes is not ranked by sums of width {Width}.", nameof(row));
        }

        for (var i = 0; i < _histograms.Length; i++)
        {
            _histograms[i].Add(row.Code(i), row.IsPositive(i), sign);
        }

        if (_steps is not null)
        {
            _steps[(row.IsPositive(0) ? 0 : ScoreCodes.Thresholds + 1) + row.Step] += sign;
        }

        Ranked += sign;
    }

    /// <summary>Adds every row of sums of the same width.</summary>
    public void Add(RankSums other)
    {
        if (other.Width != Width)
        {
            throw new ArgumentException($"Sums of width {other.Width} cannot join sums of width {Width}.", nameof(other));
        }

        for (var i = 0; i < _histograms.Length; i++)
        {
            _histograms[i].Add(other._histograms[i]);
        }

        for (var s = 0; s < (_steps?.Length ?? 0); s++)
        {
            _steps![s] += other._steps![s];
        }

        Ranked += other.Ranked;
    }

    /// <summary>Every histogram coarser by a quarter of its bins at least (<see cref="RankHistogram.Shrink"/>); false when none could go coarser.</summary>
    public bool Coarsen()
    {
        var coarser = false;
        foreach (var histogram in _histograms)
        {
            coarser |= histogram.Shrink();
        }

        return coarser;
    }

    /// <summary>Gives back the room past every histogram's bins.</summary>
    public void TrimExcess()
    {
        foreach (var histogram in _histograms)
        {
            histogram.TrimExcess();
        }
    }

    /// <summary>Makes every empty histogram start at <paramref name="level"/>.</summary>
    public void StartAt(int level)
    {
        foreach (var histogram in _histograms)
        {
            histogram.StartAt(level);
        }
    }

    /// <summary>The coarsest level among the histograms.</summary>
    public int Level
    {
        get
        {
            var level = 0;
            foreach (var histogram in _histograms)
            {
                level = Math.Max(level, histogram.Level);
            }

            return level;
        }
    }

    public void Clear()
    {
        foreach (var histogram in _histograms)
        {
            histogram.Clear();
        }

        if (_steps is not null)
        {
            Array.Clear(_steps);
        }

        Ranked = 0;
    }

    public RankSums Copy() => FromStored(Width, Budget, Ranked, _histograms, _steps);
}
