using CloudNative.CloudEvents;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>One validated event ready to be applied: its id, its key and its rows; no rows when its type is not feedback.</summary>
internal sealed record PreparedFeedback(CloudEvent Event, CloudEventId Id, MetricKey Key, DecodedFeedback? Feedback);
