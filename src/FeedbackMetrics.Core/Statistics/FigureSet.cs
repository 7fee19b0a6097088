using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// The full figures of the cumulative counts or of one window, in the JSON contract's shape: the existing fields
/// (<c>count</c>, <c>accuracy</c>, <c>confusionMatrix</c>, <c>perClass</c>, <c>macro</c>, <c>micro</c>, <c>weighted</c>)
/// unchanged, plus the 95 % Wilson interval of the accuracy, the probabilistic figures when rows carried probability
/// vectors, and the label shift of a window against the cumulative figures.
/// </summary>
public sealed record FigureSet(
    long Count,
    double Accuracy,
    Interval AccuracyInterval,
    long[][] ConfusionMatrix,
    ClassFigureSet[] PerClass,
    AveragedFigures Macro,
    AveragedFigures Micro,
    AveragedFigures Weighted,
    ProbabilisticFigures? Probabilistic,
    ShiftFigures? Shift);

/// <summary>One class's precision, recall, F1 and support, with 95 % Wilson intervals for precision and recall.</summary>
public sealed record ClassFigureSet(string Class, double Precision, double Recall, double F1, long Support, Interval PrecisionInterval, Interval RecallInterval);

/// <summary>
/// Figures of the rows whose response carried a probability distribution; <see cref="Count"/> says how many that is,
/// which may be fewer than the figure set's count. The threshold-free figures (<see cref="RankCalculator"/>) are null
/// when no class has both positives and negatives, or some row could not be ranked (a vector past
/// <see cref="RankCodes.MaxClasses"/> classes, or of another width than the others); the threshold sweep is there for
/// two-class vectors only.
/// </summary>
public sealed record ProbabilisticFigures(long Count, double LogLoss, double Brier, double Ece, TopKFigures TopK, CalibrationBin[] Calibration)
{
    /// <summary>ROC AUC: of the second class's score for two classes, one-vs-rest and macro-averaged for more.</summary>
    public double? RocAuc { get; init; }

    /// <summary>Average precision, as <see cref="RocAuc"/>.</summary>
    public double? AveragePrecision { get; init; }

    /// <summary>Two classes: precision, recall, F1 and false positive rate at thresholds 0.05, 0.10, …, 0.95.</summary>
    public ThresholdFigures[]? Thresholds { get; init; }

    /// <summary>Two classes: the threshold of <see cref="Thresholds"/> with the highest F1 (the lowest of equals).</summary>
    public double? BestF1Threshold { get; init; }
}

/// <summary>Top-k accuracy and the k it was counted with.</summary>
public sealed record TopKFigures(int K, double Accuracy);

/// <summary>
/// One row of the reliability table: the bin's edges, how many rows' top probability fell in it (the confidence
/// histogram), their mean top probability and the share of them predicted right; the last two are null when empty.
/// </summary>
public sealed record CalibrationBin(double Low, double High, long Count, double? Confidence, double? Accuracy);

/// <summary>
/// Label shift of a window against the cumulative figures: PSI of its predicted-class and true-class distributions,
/// and the true-class distribution its predictions imply (black-box shift estimation), with the method that gave it.
/// </summary>
public sealed record ShiftFigures(double PredictedPsi, double TruthPsi, double[] EstimatedTruthDistribution, ShiftMethod Estimation);
