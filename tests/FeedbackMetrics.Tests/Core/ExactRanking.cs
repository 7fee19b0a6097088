namespace FeedbackMetrics.Tests.Core;

/// <summary>
/// scikit-learn's threshold-free figures, computed the plain way from every row: sort by score, ties as scikit-learn
/// treats them. <c>roc_auc_score</c> is the Mann–Whitney statistic (a tied positive–negative pair counts one half);
/// <c>average_precision_score</c> is Σ (R_n − R_{n−1}) P_n over the distinct scores from the highest down. Two classes
/// rank the second class's score; more are one-vs-rest, averaged over the classes with positives and negatives.
/// </summary>
internal static class ExactRanking
{
    public static (double? Auc, double? Ap) Of(IReadOnlyList<(int Truth, double[] P)> rows)
    {
        if (rows.Count == 0)
        {
            return (null, null);
        }

        var width = rows[0].P.Length;
        if (width == 2)
        {
            return Binary(rows.Select(r => (r.Truth == 1, r.P[1])).ToList());
        }

        double auc = 0, ap = 0;
        var classes = 0;
        for (var c = 0; c < width; c++)
        {
            var (a, p) = Binary(rows.Select(r => (r.Truth == c, r.P[c])).ToList());
            if (a is { } x && p is { } y)
            {
                auc += x;
                ap += y;
                classes++;
            }
        }

        return classes == 0 ? (null, null) : (auc / classes, ap / classes);
    }

    /// <summary>One class against the rest; null without positives or without negatives.</summary>
    public static (double? Auc, double? Ap) Binary(IReadOnlyList<(bool Positive, double Score)> rows)
    {
        long positives = rows.Count(r => r.Positive), negatives = rows.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return (null, null);
        }

        var sorted = rows.OrderBy(r => r.Score).ToList();
        double concordant = 0;
        long below = 0;
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            long p = 0, n = 0;
            while (j < sorted.Count && sorted[j].Score == sorted[i].Score)
            {
                (p, n) = sorted[j].Positive ? (p + 1, n) : (p, n + 1);
                j++;
            }

            concordant += p * (below + (n / 2.0));
            below += n;
            i = j;
        }

        double ap = 0;
        long tp = 0, fp = 0;
        for (var i = sorted.Count - 1; i >= 0;)
        {
            var j = i;
            long p = 0;
            while (j >= 0 && sorted[j].Score == sorted[i].Score)
            {
                (tp, fp, p) = sorted[j].Positive ? (tp + 1, fp, p + 1) : (tp, fp + 1, p);
                j--;
            }

            ap += p / (double)positives * (tp / (double)(tp + fp));
            i = j;
        }

        return (concordant / (positives * (double)negatives), ap);
    }

    /// <summary>Two classes: precision, recall, F1 and false positive rate of predicting positive at score ≥ threshold.</summary>
    public static (double Precision, double Recall, double F1, double Fpr) At(IReadOnlyList<(int Truth, double[] P)> rows, double threshold)
    {
        long tp = 0, fp = 0, fn = 0, tn = 0;
        foreach (var (truth, p) in rows)
        {
            var predicted = p[1] >= threshold;
            (tp, fp, fn, tn) = (predicted, truth == 1) switch
            {
                (true, true) => (tp + 1, fp, fn, tn),
                (true, false) => (tp, fp + 1, fn, tn),
                (false, true) => (tp, fp, fn + 1, tn),
                _ => (tp, fp, fn, tn + 1),
            };
        }

        return (
            tp + fp == 0 ? 0 : tp / (double)(tp + fp),
            tp + fn == 0 ? 0 : tp / (double)(tp + fn),
            (2 * tp) + fp + fn == 0 ? 0 : 2 * tp / (double)((2 * tp) + fp + fn),
            fp + tn == 0 ? 0 : fp / (double)(fp + tn));
    }
}
