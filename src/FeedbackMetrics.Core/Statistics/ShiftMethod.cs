namespace FeedbackMetrics.Core.Statistics;

/// <summary>How an estimated true-class distribution was obtained.</summary>
public enum ShiftMethod
{
    /// <summary>Black-box shift estimation (Lipton, Wang and Smola 2018) from the cumulative confusion matrix.</summary>
    Bbse,

    /// <summary>
    /// The window's predicted-class distribution taken as it is ("classify and count", Forman 2008): used when the
    /// confusion matrix cannot be inverted (a class never predicted, confusable classes), when the solution clips to
    /// nothing, or past <see cref="ShiftEstimator.MaxClasses"/> classes.
    /// </summary>
    ClassifyAndCount,
}
