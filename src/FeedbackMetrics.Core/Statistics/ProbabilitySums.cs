using System.Runtime.CompilerServices;

namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// Running sums of <see cref="ScoredRow"/>s from which log loss, Brier score, top-k accuracy, the expected calibration
/// error and the reliability table follow. Rows can be added and taken back (a window evicting, a relabel moving a
/// row), and sums merged, so the cumulative figures, a count window and every time bucket use the same type. The
/// bins live inline so a time bucket costs one object. Rows that carry <see cref="RankCodes"/> also go into the
/// threshold-free sums (<see cref="RankSums"/>, allocated on the first such row), when their vectors are as wide as
/// the first ranked row's; ROC AUC and average precision are given only while every row summed was ranked. Not
/// thread-safe: its owner locks.
/// </summary>
public sealed class ProbabilitySums(int rankBudget = RankHistogram.DefaultBudget)
{
    private RankSums? _ranks;
    private bool _ranked;
    private BinArray<long> _binCount;
    private BinArray<long> _binCorrect;
    private BinArray<double> _binConfidence;

    /// <summary>Rows summed.</summary>
    public long Count { get; private set; }

    /// <summary>The k every summed row's top-k hit was scored with; 0 while empty.</summary>
    public int TopK { get; private set; }

    public double LogLossSum { get; private set; }

    public double BrierSum { get; private set; }

    public long TopKHits { get; private set; }

    /// <summary>Rows whose top class was the truth.</summary>
    public long Correct { get; private set; }

    public long BinCount(int bin) => _binCount[bin];

    public long BinCorrect(int bin) => _binCorrect[bin];

    public double BinConfidence(int bin) => _binConfidence[bin];

    /// <summary>How many bins each rank histogram may keep (<see cref="RankHistogram.Budget"/>); 0 for sums that rank nothing.</summary>
    public int RankBudget => rankBudget;

    /// <summary>The threshold-free sums (a store reads them to keep them); null until a ranked row came.</summary>
    public RankSums? Ranks => _ranked ? _ranks : null;

    /// <summary>Bins the rank histograms hold (what they cost in memory: 20 bytes a bin).</summary>
    public int RankBins => Ranks?.Bins ?? 0;

    /// <summary>Makes every rank histogram coarser (a time window keeping its buckets to a budget); false when none could.</summary>
    public bool CoarsenRanks() => Ranks?.Coarsen() ?? false;

    /// <summary>Gives back the rank histograms' room past their bins (a time window's bucket the window moved past).</summary>
    public void TrimRanks() => Ranks?.TrimExcess();

    /// <summary>The level the rank histograms start at when the first ranked row comes (0: a bin per code).</summary>
    public int RankStartLevel { get; set; }

    /// <summary>Sums as stored (a durable store writes them with the counts and reads them back at start-up).</summary>
    public static ProbabilitySums FromTotals(
        long count,
        int topK,
        double logLossSum,
        double brierSum,
        long topKHits,
        long correct,
        ReadOnlySpan<long> binCount,
        ReadOnlySpan<long> binCorrect,
        ReadOnlySpan<double> binConfidence,
        RankSums? ranks = null,
        int rankBudget = RankHistogram.DefaultBudget)
    {
        if (binCount.Length != CalibrationBins.Count || binCorrect.Length != CalibrationBins.Count || binConfidence.Length != CalibrationBins.Count)
        {
            throw new ArgumentException($"Expected {CalibrationBins.Count} values per bin array.");
        }

        var sums = new ProbabilitySums(rankBudget);
        if (count <= 0)
        {
            return sums;
        }

        if (ranks is not null && (ranks.Ranked > count || ranks.Budget != rankBudget))
        {
            throw new ArgumentException($"Stored rank sums of {ranks.Ranked} rows (budget {ranks.Budget}) do not fit sums of {count} rows (budget {rankBudget}).", nameof(ranks));
        }

        sums._ranks = ranks?.Copy();
        sums._ranked = ranks is not null;
        sums.Count = count;
        sums.TopK = topK;
        sums.LogLossSum = logLossSum;
        sums.BrierSum = brierSum;
        sums.TopKHits = topKHits;
        sums.Correct = correct;
        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            sums._binCount[b] = binCount[b];
            sums._binCorrect[b] = binCorrect[b];
            sums._binConfidence[b] = binConfidence[b];
        }

        return sums;
    }

    public void Add(in ScoredRow row) => Apply(row, 1);

    /// <summary>Takes back a row added before (the same <see cref="ScoredRow"/> value).</summary>
    public void Remove(in ScoredRow row)
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("No row to take back: the sums are empty.");
        }

        Apply(row, -1);
    }

    /// <summary>Adds every row of another sum (reading a time window adds up its buckets).</summary>
    public void Add(ProbabilitySums other)
    {
        if (other.Count == 0)
        {
            return;
        }

        CheckTopK(other.TopK);
        Count += other.Count;
        LogLossSum += other.LogLossSum;
        BrierSum += other.BrierSum;
        TopKHits += other.TopKHits;
        Correct += other.Correct;
        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            _binCount[b] += other._binCount[b];
            _binCorrect[b] += other._binCorrect[b];
            _binConfidence[b] += other._binConfidence[b];
        }

        // Rows the other sums ranked are ranked here too when their width is this one's (or none is chosen yet).
        if (other.Ranks is { } theirs && RanksFor(theirs.Width) is { } ours)
        {
            ours.Add(theirs);
        }
    }

    public void Clear()
    {
        Count = 0;
        TopK = 0;
        LogLossSum = 0;
        BrierSum = 0;
        TopKHits = 0;
        Correct = 0;
        _binCount = default;
        _binCorrect = default;
        _binConfidence = default;

        // Empty sums rank whatever width comes next; the histograms are kept for it when it is the same (no allocation
        // when a bucket or a count window fills again).
        _ranks?.Clear();
        _ranked = false;
    }

    /// <summary>
    /// A copy holding <paramref name="ranks"/> as its threshold-free sums (a count window ranks its rows when read:
    /// its running sums keep none, <c>rankBudget</c> 0).
    /// </summary>
    public ProbabilitySums CopyWithRanks(RankSums? ranks)
    {
        var copy = new ProbabilitySums(ranks?.Budget ?? RankHistogram.DefaultBudget);
        copy.Add(this);
        copy._ranks = ranks;
        copy._ranked = ranks is not null;
        return copy;
    }

    /// <summary>An independent copy.</summary>
    public ProbabilitySums Copy()
    {
        var copy = new ProbabilitySums(rankBudget);
        copy.Add(this);
        return copy;
    }

    /// <summary>
    /// The figures, or null when no row carried a probability distribution. Log loss, Brier and top-k accuracy are
    /// means over the rows; ECE = Σ_bins (n_b / n) · |accuracy_b − confidence_b| = Σ_bins |correct_b − Σconfidence_b| / n.
    /// </summary>
    public ProbabilisticFigures? ToFigures()
    {
        if (Count == 0)
        {
            return null;
        }

        double n = Count;
        var bins = new CalibrationBin[CalibrationBins.Count];
        double ece = 0;
        for (var b = 0; b < bins.Length; b++)
        {
            var count = _binCount[b];
            ece += Math.Abs(_binCorrect[b] - _binConfidence[b]) / n;
            bins[b] = new CalibrationBin(
                CalibrationBins.Low(b),
                CalibrationBins.High(b),
                count,
                count == 0 ? null : _binConfidence[b] / count,
                count == 0 ? null : _binCorrect[b] / (double)count);
        }

        var figures = new ProbabilisticFigures(Count, LogLossSum / n, BrierSum / n, ece, new TopKFigures(TopK, TopKHits / n), bins);
        if (Ranks is not { } ranks || ranks.Ranked != Count)
        {
            return figures;
        }

        var rank = RankCalculator.Of(ranks);
        var sweep = RankCalculator.Thresholds(ranks);
        return figures with
        {
            RocAuc = rank.RocAuc,
            AveragePrecision = rank.AveragePrecision,
            Thresholds = sweep?.Steps,
            BestF1Threshold = sweep?.Best,
        };
    }

    /// <summary>ROC AUC, average precision and their bounds; null unless every row summed was ranked (the figures would miss one).</summary>
    public RankFigures? RankFigures() => Ranks is { } ranks && ranks.Ranked == Count && Count > 0 ? RankCalculator.Of(ranks) : null;

    private void Apply(in ScoredRow row, int sign)
    {
        CheckTopK(row.TopK);
        var bin = CalibrationBins.Of(row.Confidence);
        var correct = row.Correct ? sign : 0;
        Count += sign;
        LogLossSum += sign * row.LogLoss;
        BrierSum += sign * row.Brier;
        TopKHits += row.TopKHit ? sign : 0;
        Correct += correct;
        _binCount[bin] += sign;
        _binCorrect[bin] += correct;
        _binConfidence[bin] += sign * row.Confidence;
        if (row.Ranks.IsRanked && RanksFor(row.Ranks.Width) is { } ranks)
        {
            ranks.Add(row.Ranks, sign);
        }

        if (Count == 0)
        {
            // Empty again: drop the rounding residue of the double sums and free the choice of k.
            Clear();
        }
    }

    /// <summary>
    /// The rank sums rows of <paramref name="width"/> go into: new ones for the first ranked row, the current ones when
    /// that is their width, none when they rank another width (those rows are counted, not ranked, and the figures stay
    /// absent until the sums are empty again). The width stays chosen until the sums are empty, so a row taken back is
    /// taken from the sums it went into.
    /// </summary>
    private RankSums? RanksFor(int width)
    {
        if (rankBudget == 0)
        {
            return null;
        }

        if (!_ranked)
        {
            if (_ranks?.Width != width)
            {
                _ranks = new RankSums(width, rankBudget);
            }

            _ranks.StartAt(RankStartLevel);
            _ranked = true;
        }

        return _ranks!.Width == width ? _ranks : null;
    }

    private void CheckTopK(int k)
    {
        if (TopK == 0 || Count == 0)
        {
            TopK = k;
        }
        else if (TopK != k)
        {
            throw new InvalidOperationException($"These sums hold top-{TopK} hits; a row scored with k = {k} cannot join them. Score every row of a key with one k.");
        }
    }

    /// <summary>One value per calibration bin, stored inline.</summary>
    [InlineArray(CalibrationBins.Count)]
    private struct BinArray<T>
    {
        private T _element;
    }
}
