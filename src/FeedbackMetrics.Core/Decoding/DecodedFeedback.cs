namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// The observations of one event: a (truth, prediction) per row, how many classes its vectors declare (one-hot
/// width; 0 when unknown), the reward of Seldon's Feedback message when it carried one, and the response's score
/// vectors when it sent a vector per row.
/// </summary>
public sealed record DecodedFeedback(Observation[] Rows, int ClassWidth, double? Reward = null, ScoreRows? Scores = null)
{
    /// <summary>The names of CLASS_0, CLASS_1, … its response gave (<see cref="ResponseClassNames"/>); null when it gave none.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}
