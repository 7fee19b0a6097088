namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The accuracy the pending responses are expected to have (null when none carries probabilities), and what it rests
/// on: how many pending rows carry a probability distribution, how many of those fell in a confidence bin that
/// joined rows calibrate (the rest count at their own top probability), and how many joined rows calibrate.
/// </summary>
public sealed record EstimatedAccuracy(double? Accuracy, long PendingRows, long CalibratedPendingRows, long JoinedRows)
{
    /// <summary>How the estimate fared on the pending rows that have got their truth since.</summary>
    public RealizedEstimate Realized { get; init; } = new(0, null, null);
}

/// <summary>
/// Of the rows that were pending and have got their truth: how many, the accuracy the estimate expected of them just
/// before (mean of what it expected of each), and the accuracy they turned out to have; null before the first.
/// </summary>
public sealed record RealizedEstimate(long Rows, double? Expected, double? Accuracy);
