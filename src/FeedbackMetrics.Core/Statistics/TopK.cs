namespace FeedbackMetrics.Core.Statistics;

/// <summary>How many of the highest-scored classes a top-k hit may be among, when the operator does not say.</summary>
public static class TopK
{
    /// <summary>
    /// 3 when the model scores more than 3 classes (the default); otherwise one less than the number of classes,
    /// because k at or above the number of classes makes every row a hit (scikit-learn warns of exactly that).
    /// </summary>
    public static int DefaultFor(int width) => width > 3 ? 3 : Math.Max(1, width - 1);
}
