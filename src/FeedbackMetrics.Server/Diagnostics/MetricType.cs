namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>The Prometheus type of a metric family, as the text format's <c># TYPE</c> line names it.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}
