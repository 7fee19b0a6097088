using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// One feedback event to count: its identity for deduplication, the key it counts under, its rows, and how to
/// build its metric event from the key's figures right after it (the store calls it, in commit order). Its
/// context says when it arrived, when its sender says it happened (<c>time</c>, when given) and which request
/// it is about (<c>requestid</c>, when given): what windows and the late-truth join work with.
/// </summary>
internal sealed record FeedbackEvent(CloudEventId Id, MetricKey Key, DecodedFeedback Feedback, Func<KeySnapshot, MetricReply> Reply)
{
    public EventContext Context { get; init; } = EventContext.None;

    /// <summary>
    /// Set for a logged response or a truth-only feedback: the half the join takes (<see cref="Feedback"/> is then
    /// empty, and what gets counted, if anything, is what the join gives).
    /// </summary>
    public JoinPart? Join { get; init; }
}

/// <summary>When an event arrived, when its sender says it happened, and the request it is about.</summary>
internal sealed record EventContext(DateTimeOffset ArrivedAt, DateTimeOffset? SentAt, string? RequestId)
{
    public static readonly EventContext None = new(DateTimeOffset.UnixEpoch, null, null);
}
