using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Server.Json;

/// <summary>
/// The body of an alert CloudEvent, and one entry of the JSON view's <c>alerts</c>. <c>comparison</c> is <c>below</c>,
/// <c>above</c>, <c>outside_interval_below</c> or <c>outside_interval_above</c>; for the last two <c>threshold</c> is the
/// cumulative figure the window's <c>interval</c> was held against.
/// </summary>
public sealed record AlertBody(
    string Rule,
    string State,
    string Metric,
    string Window,
    string Comparison,
    double Threshold,
    double Value,
    Interval? Interval,
    long Observations,
    string Namespace,
    string Deployment,
    string Predictor,
    string Model,
    DateTimeOffset Since,
    DateTimeOffset At,
    string Message);
