namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// A response decoded on its own: the predicted class per row, how many classes its vectors declare (0 when
/// unknown), and its score vectors when it sent a vector per row.
/// </summary>
public sealed record DecodedResponse(ClassLabel[] Rows, int ClassWidth, ScoreRows? Scores)
{
    /// <summary>The names of CLASS_0, CLASS_1, … the response gave (<see cref="ResponseClassNames"/>); null when it gave none.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}
