using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Server.Json;

/// <summary>
/// The body of an alert CloudEvent, and one entry of the JSON view's <c>alerts</c>. <c>comparison</c> is <c>below</c>,
/// <c>above</c>, <c>outside_interval_below</c> or <c>outside_interval_above</c>; for the last two <c>threshold</c> is the
/// cumulative figure the window's <c>interval</c> was held against. For <c>segment_gap_above</c> <c>value</c> is the gap
/// across the segment's values, <c>observations</c> the rows of the smaller of the two values, and <c>segmentGap</c>
/// says which values they are.
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
    AlertSegmentGap? SegmentGap,
    string Namespace,
    string Deployment,
    string Predictor,
    string Model,
    DateTimeOffset Since,
    DateTimeOffset At,
    string Message);

/// <summary>
/// The two values a segment gap alert compared: the segment name, the largest and smallest figure, their gap, whether
/// their 95 % intervals lie apart, which values they are (as the JSON view's <c>segmentGaps</c>) and the rows of each.
/// </summary>
public sealed record AlertSegmentGap(string Segment, double Max, double Min, double Gap, bool Apart, string MaxValue, string MinValue, long MaxObservations, long MinObservations);
