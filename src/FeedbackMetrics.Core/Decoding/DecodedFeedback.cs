namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// The observations of one event, how many classes its vectors declare (one-hot width; 0 when unknown), and the
/// reward of Seldon's Feedback message when it carried one.
/// </summary>
public sealed record DecodedFeedback(Observation[] Rows, int ClassWidth, double? Reward = null);
