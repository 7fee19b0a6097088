namespace FeedbackMetrics.Server.Json;

/// <summary>The body of an alert CloudEvent, and one entry of the JSON view's <c>alerts</c>.</summary>
public sealed record AlertBody(
    string Rule,
    string State,
    string Metric,
    string Window,
    string Comparison,
    double Threshold,
    double Value,
    long Observations,
    string Namespace,
    string Deployment,
    string Predictor,
    string Model,
    DateTimeOffset Since,
    DateTimeOffset At,
    string Message);
