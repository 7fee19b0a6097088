using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The answer of the join to one response or truth. For <see cref="JoinAction.Joined"/>, <see cref="Counted"/> holds
/// the rows to count under <see cref="Key"/> (the response's key), exactly as a feedback event carrying both would
/// give them. For <see cref="JoinAction.Corrected"/>, <see cref="Replaced"/> holds the rows counted before and
/// <see cref="Counted"/> the rows that take their place.
/// </summary>
public sealed record JoinResult(
    JoinAction Action,
    MetricKey? Key = null,
    DecodedFeedback? Counted = null,
    DecodedFeedback? Replaced = null);
