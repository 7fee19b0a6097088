namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>What happened to one incoming event.</summary>
public enum EventOutcome
{
    Accepted,
    Duplicate,
    Ignored,
}
