using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The answer of the join to one response or truth. For <see cref="JoinAction.Joined"/>, <see cref="Counted"/> holds
/// the rows to count under <see cref="Key"/> (the response's key), exactly as a feedback event carrying both would
/// give them. For <see cref="JoinAction.Corrected"/>, <see cref="Replaced"/> holds the rows counted before and
/// <see cref="Counted"/> the rows that take their place; <see cref="CountedRows"/> the rows as the host counted them
/// (<see cref="JoinLedger.RecordCounted"/>; null when it never said), for <see cref="MetricsBook.Relabel"/>, and
/// <see cref="FirstCountedAt"/> when the request was first counted.
/// </summary>
public sealed record JoinResult(
    JoinAction Action,
    MetricKey? Key = null,
    DecodedFeedback? Counted = null,
    DecodedFeedback? Replaced = null,
    DateTimeOffset? FirstCountedAt = null,
    IReadOnlyList<CountedRow>? CountedRows = null);
