namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The accuracy the pending responses are expected to have (null when none carries probabilities), and what it rests
/// on: how many pending rows carry a probability distribution, how many of those fell in a confidence bin that
/// joined rows calibrate (the rest count at their own top probability), and how many joined rows calibrate.
/// </summary>
public sealed record EstimatedAccuracy(double? Accuracy, long PendingRows, long CalibratedPendingRows, long JoinedRows);
