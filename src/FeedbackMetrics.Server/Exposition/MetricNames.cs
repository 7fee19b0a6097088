namespace FeedbackMetrics.Server.Exposition;

/// <summary>The prefix and label names of our own series (Seldon's keep Seldon's names).</summary>
public static class MetricNames
{
    public const string Prefix = "feedback_metrics_";

    /// <summary>Identity labels of our own series; named as Seldon's are, without its duplicate deployment label.</summary>
    public static readonly string[] KeyLabels = ["deployment_namespace", "deployment_name", "predictor_name", "model_name"];
}
