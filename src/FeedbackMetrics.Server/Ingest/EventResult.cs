using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>What happened to one incoming event.</summary>
public enum EventOutcome
{
    Accepted,
    Duplicate,
    Ignored,
}

/// <summary>The outcome of one event and, when it was counted, the metric event it produced.</summary>
public sealed record EventResult(string Source, string Id, EventOutcome Outcome, MetricEvent? Reply);
