using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.State;

/// <summary>One feedback event to count: its identity for deduplication, the key it counts under, and its rows.</summary>
public sealed record FeedbackEvent(CloudEventId Id, MetricKey Key, DecodedFeedback Feedback);
