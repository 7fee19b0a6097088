using FeedbackMetrics.Core.Decoding;

namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// What the probabilistic figures need of one row, worked out once from its probability vector and its true class:
/// the row's log loss and Brier terms, its top probability (confidence), whether the top class is the truth, and
/// whether the truth is among the k highest scores, and the codes its scores are ranked by (<see cref="RankCodes"/>: ROC AUC,
/// average precision, the threshold sweep). Sums of these add and subtract, so windows can evict and a relabel can take a
/// row back without keeping the vector.
/// </summary>
public readonly record struct ScoredRow(double LogLoss, double Brier, double Confidence, bool Correct, bool TopKHit, int TopK, RankCodes Ranks = default)
{
    /// <summary>
    /// Probabilities are clipped to [eps, 1 − eps] before the logarithm, eps = 2.220446049250313e-16 (the float64
    /// machine epsilon): scikit-learn's log_loss since 1.5 uses np.finfo(y_pred.dtype).eps (1.3–1.4 as eps="auto";
    /// 1e-15 before). It no longer renormalises the clipped rows, and neither do we.
    /// </summary>
    public const double LogLossEpsilon = 2.220446049250313e-16;

    /// <summary>
    /// Scores one probability vector against the index of the true class. A truth index past the vector is a class
    /// the model gave probability 0 (log loss at the clip, distance 1 on that coordinate, never a top-k hit).
    /// </summary>
    public static ScoredRow Of(ReadOnlySpan<double> probabilities, int truth, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(truth);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (probabilities.Length < 2)
        {
            throw new ArgumentException("A probability vector has at least two classes.", nameof(probabilities));
        }

        var truthProbability = truth < probabilities.Length ? probabilities[truth] : 0;
        var logLoss = -Math.Log(Math.Clamp(truthProbability, LogLossEpsilon, 1 - LogLossEpsilon));

        // Multiclass Brier: the squared distance to the one-hot truth, summed term by term (no cancellation).
        double brier = truth < probabilities.Length ? 0 : 1;
        var top = 0;
        for (var j = 0; j < probabilities.Length; j++)
        {
            var d = probabilities[j] - (j == truth ? 1 : 0);
            brier += d * d;
            if (probabilities[j] > probabilities[top])
            {
                top = j;
            }
        }

        return new ScoredRow(logLoss, brier, probabilities[top], top == truth, IsTopKHit(probabilities, truth, k), k, RankCodes.Of(probabilities, truth));
    }

    /// <summary>
    /// Scores a row of a decoded event when it can be: its response vector is a probability distribution (non-negative,
    /// summing to 1 within 1e-6) over at least two classes, and its truth is a class index. Other rows still count for the
    /// class figures.
    /// </summary>
    public static bool TryScore(ScoreRows? scores, int row, ClassLabel truth, int k, out ScoredRow scored)
    {
        if (scores is null || scores.Width < 2 || truth.Name is not null || truth.Index < 0 || row >= scores.Count || !scores.IsDistribution(row))
        {
            scored = default;
            return false;
        }

        scored = Of(scores.Row(row), truth.Index, k);
        return true;
    }

    /// <summary>
    /// scikit-learn's top_k_accuracy_score. Multiclass: the truth is among the first k of a stable descending sort
    /// (np.argsort(kind="mergesort") reversed), so on equal scores the higher class index ranks first. Two classes with
    /// k = 1 follow its binary branch: the positive-class probability above 0.5 predicts class 1.
    /// </summary>
    private static bool IsTopKHit(ReadOnlySpan<double> p, int truth, int k)
    {
        if (truth >= p.Length)
        {
            return false;
        }

        if (p.Length == 2)
        {
            return k >= 2 || (p[1] > 0.5 ? 1 : 0) == truth;
        }

        var ahead = 0;
        for (var j = 0; j < p.Length; j++)
        {
            if (p[j] > p[truth] || (p[j] == p[truth] && j > truth))
            {
                ahead++;
            }
        }

        return ahead < k;
    }
}
