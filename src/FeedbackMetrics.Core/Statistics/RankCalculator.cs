namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// ROC AUC, average precision and the two-class threshold sweep from <see cref="RankSums"/>, with scikit-learn's
/// definitions (<c>roc_auc_score</c>, <c>average_precision_score</c>): two classes rank the second class's score; more
/// classes are ranked one-vs-rest and averaged (macro) over the classes that have both positives and negatives.
/// </summary>
/// <remarks>
/// Within a bin the histogram cannot order rows. ROC AUC credits a positive and a negative that share a bin with one
/// half, as scikit-learn credits equal scores, which is also the expected credit when their order is unknown; so the
/// figure is off by at most half the share of positive–negative pairs that share a bin. Average precision treats a bin
/// that may only hold equal scores (exact 0 or 1, or a level-0 bin) as scikit-learn treats ties (each of its positives
/// at the precision after the whole bin) and any other bin by the expected precision of its positives in a random order
/// within it; it is off by at most the gap between its positives all first and tied and all last and apart.
/// </remarks>
public static class RankCalculator
{
    /// <summary>Rows a coarser bin needs before its densities' slopes are used for average precision (below, the random order's exact expectation).</summary>
    private const int SlopedFrom = 32;

    private static readonly double[] GaussNodes =
    [
        -0.9894009349916499, -0.9445750230732326, -0.8656312023878318, -0.7554044083550030, -0.6178762444026438, -0.4580167776572274,
        -0.2816035507792589, -0.0950125098376374, 0.0950125098376374, 0.2816035507792589, 0.4580167776572274, 0.6178762444026438,
        0.7554044083550030, 0.8656312023878318, 0.9445750230732326, 0.9894009349916499,
    ];

    private static readonly double[] GaussWeights =
    [
        0.0271524594117541, 0.0622535239386479, 0.0951585116824928, 0.1246289712555339, 0.1495959888165767, 0.1691565193950025,
        0.1826034150449236, 0.1894506104550685, 0.1894506104550685, 0.1826034150449236, 0.1691565193950025, 0.1495959888165767,
        0.1246289712555339, 0.0951585116824928, 0.0622535239386479, 0.0271524594117541,
    ];

    /// <summary>ROC AUC and average precision (null when no class has both positives and negatives), and their error bounds.</summary>
    public static RankFigures Of(RankSums sums)
    {
        double auc = 0, ap = 0, aucBound = 0, apBound = 0;
        var classes = 0;
        foreach (var histogram in sums.Histograms)
        {
            if (Class(histogram) is { } c)
            {
                auc += c.Auc;
                ap += c.Ap;
                aucBound += c.AucBound;
                apBound += c.ApBound;
                classes++;
            }
        }

        return classes == 0
            ? new RankFigures(null, null, null, null)
            : new RankFigures(auc / classes, ap / classes, aucBound / classes, apBound / classes);
    }

    /// <summary>
    /// Two classes: precision, recall, F1 and false positive rate at each threshold step (a row is predicted positive when
    /// its score is at least the threshold; zero_division = 0), and the threshold with the highest F1 (the lowest of
    /// equals); null when the sums are not two-class or hold no positive and no negative.
    /// </summary>
    public static (ThresholdFigures[] Steps, double Best)? Thresholds(RankSums sums)
    {
        var steps = sums.Steps;
        if (steps.IsEmpty || sums.Ranked == 0)
        {
            return null;
        }

        var width = ScoreCodes.Thresholds + 1;
        long positives = 0, negatives = 0;
        for (var s = 0; s < width; s++)
        {
            positives += steps[s];
            negatives += steps[width + s];
        }

        var figures = new ThresholdFigures[ScoreCodes.Thresholds];
        long tp = 0, fp = 0;
        double best = ScoreCodes.Threshold(1), bestF1 = -1;
        for (var t = ScoreCodes.Thresholds; t >= 1; t--)
        {
            // Rows reaching step t or beyond are predicted positive at threshold t.
            tp += steps[t];
            fp += steps[width + t];
            var fn = positives - tp;
            var precision = tp + fp == 0 ? 0 : tp / (double)(tp + fp);
            var recall = positives == 0 ? 0 : tp / (double)positives;
            var f1 = (2 * tp) + fp + fn == 0 ? 0 : 2 * tp / (double)((2 * tp) + fp + fn);
            var fpr = negatives == 0 ? 0 : fp / (double)negatives;
            figures[t - 1] = new ThresholdFigures(ScoreCodes.Threshold(t), precision, recall, f1, fpr);
            if (f1 >= bestF1)
            {
                (bestF1, best) = (f1, ScoreCodes.Threshold(t));
            }
        }

        return (figures, best);
    }

    /// <summary>One class's figures and bounds; null without positives or without negatives.</summary>
    private static (double Auc, double Ap, double AucBound, double ApBound)? Class(RankHistogram h)
    {
        long positives = 0, negatives = 0;
        for (var i = 0; i < h.Count; i++)
        {
            positives += h.Positives(i);
            negatives += h.Negatives(i);
        }

        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        // ROC AUC: every positive beats the negatives in lower bins and a share of those in its own (WithinBin).
        double concordant = 0, bound = 0, below = 0;
        for (var i = 0; i < h.Count; i++)
        {
            double p = h.Positives(i), n = h.Negatives(i);
            var share = WithinBin(h, i);
            concordant += p * (below + (n * share));
            bound += IsExactEnd(h.Bin(i)) ? 0 : p * n * Math.Max(share, 1 - share);
            below += n;
        }

        var pairs = positives * (double)negatives;

        // Average precision: bins from the highest scores down, tp and all the rows above the bin.
        double ap = 0, apBound = 0, tp = 0, above = 0;
        for (var i = h.Count - 1; i >= 0; i--)
        {
            double p = h.Positives(i), n = h.Negatives(i);
            if (p > 0)
            {
                ap += ScoreCodes.IsTie(h.Bin(i), h.Level) ? p * (tp + p) / (above + p + n)
                    : n > 0 && p + n >= SlopedFrom ? SlopedPrecisionSum(h, i, tp, above)
                    : ExpectedPrecisionSum(p, n, tp, above);
                if (!IsExactEnd(h.Bin(i)))
                {
                    // Whatever the order and ties within the bin: at most its positives first and tied,
                    // p (tp + p) / (above + p); at least its positives last and apart, Σ (tp + j) / (above + n + j).
                    apBound += Math.Max(0, (p * (tp + p) / (above + p)) - PrecisionSum(p, tp, above + n));
                }
            }

            tp += p;
            above += p + n;
        }

        return (concordant / pairs, ap / positives, bound / pairs, apBound / positives);
    }

    private static bool IsExactEnd(uint bin) => bin is ScoreCodes.Zero or ScoreCodes.One;

    /// <summary>
    /// The share of a bin's positive–negative pairs in which the positive scores higher. One half where the bin may
    /// hold only equal scores (scikit-learn's credit for a tie). In a coarser bin the densities of positives and of
    /// negatives are taken as straight lines across it, sloped as their neighbouring bins say
    /// (f(x) ∝ 1 + a(x − ½), a = (next − previous) / (2 × this), at most 2 either way): then
    /// P(positive above negative) = ½ + (a_positive − a_negative) / 12. Where the densities change across a bin this
    /// takes most of the error of one half away; where they do not it is one half.
    /// </summary>
    private static double WithinBin(RankHistogram h, int i)
    {
        var bin = h.Bin(i);
        if (ScoreCodes.IsTie(bin, h.Level) || h.Positives(i) == 0 || h.Negatives(i) == 0)
        {
            return 0.5;
        }

        var (positives, negatives) = Slopes(h, i);
        return 0.5 + ((positives - negatives) / 12);
    }

    /// <summary>The slopes a of a bin's positives and negatives (f(x) ∝ 1 + a(x − ½) across it, |a| ≤ 2) from its neighbouring bins.</summary>
    private static (double Positives, double Negatives) Slopes(RankHistogram h, int i)
    {
        // Neighbours that are not kept hold no rows; the exact ends are not neighbours of the bins between them.
        var bin = h.Bin(i);
        var previous = i > 0 && h.Bin(i - 1) == bin - 1 && !IsExactEnd(h.Bin(i - 1)) ? i - 1 : -1;
        var next = i + 1 < h.Count && h.Bin(i + 1) == bin + 1 && !IsExactEnd(h.Bin(i + 1)) ? i + 1 : -1;
        double Slope(Func<int, long> count) => count(i) == 0 ? 0 :
            Math.Clamp(((next < 0 ? 0 : count(next)) - (previous < 0 ? 0 : count(previous))) / (2.0 * count(i)), -2, 2);
        return (Slope(h.Positives), Slope(h.Negatives));
    }

    /// <summary>
    /// The expected Σ over a bin's positives of the precision at each, its p positives and n negatives in random order
    /// after <paramref name="above"/> rows of which <paramref name="tp"/> positive: the positive at place i (of m = p + n)
    /// has 1 + (i − 1)(p − 1)/(m − 1) positives of the bin up to it on average, so the sum is
    /// (p/m) Σ_i (tp + 1 + (i − 1)u) / (above + i), u = (p − 1)/(m − 1).
    /// </summary>
    private static double ExpectedPrecisionSum(double p, double n, double tp, double above)
    {
        var m = p + n;
        if (m == 1)
        {
            return (tp + 1) / (above + 1);
        }

        var u = (p - 1) / (m - 1);
        return p / m * ((m * u) + ((tp + 1 - (u * (1 + above))) * Harmonic(above, m)));
    }

    /// <summary>
    /// The Σ over a bin's positives of the precision at each when the bin is large enough for its densities to matter:
    /// positives and negatives spread over the bin as <see cref="WithinBin"/> takes them (straight lines, sloped as
    /// their neighbours say), Φ(t) = t + a t (1 − t) / 2 of each above depth t from the bin's top, so
    /// p ∫₀¹ (tp + p Φ₊(t)) / (above + p Φ₊(t) + n Φ₋(t)) φ₊(t) dt, by 16-point Gauss–Legendre.
    /// </summary>
    private static double SlopedPrecisionSum(RankHistogram h, int i, double tp, double above)
    {
        double p = h.Positives(i), n = h.Negatives(i);
        var (ap, an) = Slopes(h, i);
        double sum = 0;
        for (var k = 0; k < GaussNodes.Length; k++)
        {
            var t = (1 + GaussNodes[k]) / 2;
            var (positives, negatives) = (t + (ap * t * (1 - t) / 2), t + (an * t * (1 - t) / 2));
            var density = 1 + (ap * (0.5 - t));
            sum += GaussWeights[k] / 2 * (tp + (p * positives)) / (above + (p * positives) + (n * negatives)) * density;
        }

        return p * sum;
    }

    /// <summary>Σ_{j=1..p} (tp + j) / (start + j) = p − (start − tp) Σ 1/(start + j).</summary>
    private static double PrecisionSum(double p, double tp, double start) => p - ((start - tp) * Harmonic(start, p));

    /// <summary>Σ_{j=1..count} 1/(x + j): summed when short, else ψ(x + count + 1) − ψ(x + 1).</summary>
    private static double Harmonic(double x, double count)
    {
        if (count <= 64)
        {
            double sum = 0;
            for (var j = 1; j <= count; j++)
            {
                sum += 1 / (x + j);
            }

            return sum;
        }

        return Digamma(x + count + 1) - Digamma(x + 1);
    }

    /// <summary>ψ(x) for x ≥ 1: the recurrence up to 10, then the asymptotic series (error below 1e-13).</summary>
    private static double Digamma(double x)
    {
        double result = 0;
        while (x < 10)
        {
            result -= 1 / x;
            x++;
        }

        var f = 1 / (x * x);
        return result + Math.Log(x) - (0.5 / x) - (f * ((1.0 / 12) - (f * ((1.0 / 120) - (f * ((1.0 / 252) - (f * ((1.0 / 240) - (f / 132)))))))));
    }
}

/// <summary>
/// ROC AUC and average precision of a figure set (macro over classes one-vs-rest past two classes) and how far from
/// scikit-learn's figures on the same rows they can be at most, given how the histograms binned them.
/// </summary>
public sealed record RankFigures(double? RocAuc, double? AveragePrecision, double? RocAucBound, double? AveragePrecisionBound);

/// <summary>Two classes at one threshold: precision, recall, F1 and false positive rate of predicting positive at score ≥ threshold.</summary>
public sealed record ThresholdFigures(double Threshold, double Precision, double Recall, double F1, double FalsePositiveRate);
