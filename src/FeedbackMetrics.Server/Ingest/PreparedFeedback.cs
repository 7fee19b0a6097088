using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Server.CloudEvents;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>One validated event: what the engine decides on, or null when its type is not one the server handles.</summary>
internal sealed record PreparedFeedback(IncomingEvent Event, IngestEvent? Feedback);
