using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// One event the engine decides on: its (source, id, type) for deduplication, the key it arrived under, and what its
/// metric event echoes. Plain data: what an event's answer is follows from the engine's rules.
/// </summary>
public abstract record IngestEvent(CloudEventId Id, MetricKey Key, ReplyContext Reply)
{
    /// <summary>The event's values of the segment names (<c>--segment_by</c>) it carries, in their configured order.</summary>
    public IReadOnlyList<SegmentValue> Segments { get; init; } = [];
}

/// <summary>A feedback event carrying both its truth and its response: counted under its key at once.</summary>
public sealed record CountedFeedback(CloudEventId Id, MetricKey Key, DecodedFeedback Feedback, ReplyContext Reply)
    : IngestEvent(Id, Key, Reply);

/// <summary>A logged model response (types in <c>--response_types</c>): kept for the truth that joins it by request id.</summary>
public sealed record LoggedResponse(CloudEventId Id, MetricKey Key, string RequestId, DecodedResponse Response, ReplyContext Reply)
    : IngestEvent(Id, Key, Reply);

/// <summary>A feedback event carrying a truth and no response: joined within its namespace and deployment by request id.</summary>
public sealed record TruthOnly(CloudEventId Id, MetricKey Key, string RequestId, DecodedTruth Truth, double? Reward, ReplyContext Reply)
    : IngestEvent(Id, Key, Reply);

/// <summary>What an event's metric event carries of it: the extensions echoed back, and whether its model is binary (Seldon's counters differ).</summary>
public sealed record ReplyContext(IReadOnlyList<KeyValuePair<string, string>> Extensions, bool Binary)
{
    public static readonly ReplyContext None = new([], false);
}
