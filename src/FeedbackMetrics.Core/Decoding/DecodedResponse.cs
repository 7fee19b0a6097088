namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// A response decoded on its own: the predicted class per row, how many classes its vectors declare (0 when
/// unknown), and its score vectors when it sent a vector per row.
/// </summary>
public sealed record DecodedResponse(ClassLabel[] Rows, int ClassWidth, ScoreRows? Scores);
