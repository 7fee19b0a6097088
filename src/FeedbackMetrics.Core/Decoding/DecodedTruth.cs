namespace FeedbackMetrics.Core.Decoding;

/// <summary>A truth decoded on its own: the true class per row and how many classes its vectors declare (0 when unknown).</summary>
public sealed record DecodedTruth(ClassLabel[] Rows, int ClassWidth);
