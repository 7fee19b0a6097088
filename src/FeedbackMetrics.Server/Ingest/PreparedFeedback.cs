using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.CloudEvents;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>One validated event: the feedback to count, or null when its type is not feedback.</summary>
internal sealed record PreparedFeedback(IncomingEvent Event, FeedbackEvent? Feedback);
