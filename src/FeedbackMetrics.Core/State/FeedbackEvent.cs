using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Core.State;

/// <summary>
/// One feedback event to count: its identity for deduplication, the key it counts under, its rows, and how to
/// build its metric event from the key's figures right after it (the store calls it, in commit order).
/// </summary>
public sealed record FeedbackEvent(CloudEventId Id, MetricKey Key, DecodedFeedback Feedback, Func<KeySnapshot, MetricEvent> Reply);
