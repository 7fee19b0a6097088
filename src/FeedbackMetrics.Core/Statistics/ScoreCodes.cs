namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// How a score in [0, 1] becomes the 32-bit code the threshold-free figures (ROC AUC, average precision) rank rows by,
/// and how codes fall into the bins of a <see cref="RankHistogram"/>. A code is the score's logit quantised in steps of
/// 2^−24 (a score near 0.5 to about 1.5e-8, finer still near 0 and 1), so distinct scores almost never share one: code 0
/// is a score of exactly 0, code 2^32 − 1 exactly 1, the codes between the logits in [−128, 128) (scores beyond share
/// the nearest end of that range). A histogram at level L puts 2^L neighbouring codes in one bin, the exact ends always
/// apart: bins of equal width in logit, so finest in score where scores crowd near 0 and 1.
/// </summary>
public static class ScoreCodes
{
    /// <summary>Code steps per unit of logit.</summary>
    public const double PerLogit = 1 << 24;

    /// <summary>The code of a score of exactly 0.</summary>
    public const uint Zero = 0;

    /// <summary>The code of a score of exactly 1.</summary>
    public const uint One = uint.MaxValue;

    /// <summary>The coarsest level: the codes between the exact ends in two bins.</summary>
    public const int MaxLevel = 31;

    /// <summary>
    /// The two-class threshold steps: 0.05, 0.10, …, 0.95. A row's step is how many of them its positive-class score
    /// reaches (score ≥ threshold, as scikit-learn predicts at a threshold).
    /// </summary>
    public const int Thresholds = 19;

    private const double Center = 1u << 31;

    /// <summary>The code of a score; monotone, so a higher score never gets a lower code.</summary>
    public static uint Of(double score)
    {
        if (score <= 0)
        {
            return Zero;
        }

        if (score >= 1)
        {
            return One;
        }

        var logit = Math.Log(score / (1 - score));
        var code = Math.Floor(logit * PerLogit) + Center;
        return (uint)Math.Clamp(code, 1, One - 1.0);
    }

    /// <summary>The bin of a code at a level: codes in blocks of 2^level, the exact ends apart at every level.</summary>
    public static uint BinOf(uint code, int level) =>
        code is Zero or One ? code : 1 + ((code - 1) >> level);

    /// <summary>Whether a bin at a level holds only equal scores as far as a histogram can tell (an exact end, or level 0).</summary>
    public static bool IsTie(uint bin, int level) => level == 0 || bin is Zero or One;

    /// <summary>The score at a threshold step (1 … <see cref="Thresholds"/>).</summary>
    public static double Threshold(int step) => step / 20.0;

    /// <summary>How many threshold steps a score reaches.</summary>
    public static byte StepOf(double score)
    {
        byte step = 0;
        while (step < Thresholds && score >= Threshold(step + 1))
        {
            step++;
        }

        return step;
    }
}
