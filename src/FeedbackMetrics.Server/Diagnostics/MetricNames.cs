namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>The prefix of our own series (Seldon's keep Seldon's names).</summary>
public static class MetricNames
{
    public const string Prefix = "feedback_metrics_";
}
