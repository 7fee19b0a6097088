namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>What became of one metric event meant for the reply URL.</summary>
public enum ReplyResult
{
    Sent,
    Failed,
    Dropped,
}
