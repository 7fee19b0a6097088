using CloudNative.CloudEvents;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>What happened to one incoming event.</summary>
public enum EventOutcome
{
    Accepted,
    Duplicate,
    Ignored,
}

/// <summary>The outcome of one event and, when it was counted, the metric CloudEvent it produced.</summary>
public sealed record EventResult(string Source, string Id, EventOutcome Outcome, CloudEvent? Reply);
