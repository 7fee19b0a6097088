namespace FeedbackMetrics.Core.Decoding;

/// <summary>The observations of one event, and how many classes its vectors declare (one-hot width; 0 when unknown).</summary>
public sealed record DecodedFeedback(Observation[] Rows, int ClassWidth);
