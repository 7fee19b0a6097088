namespace FeedbackMetrics.Core.Statistics;

/// <summary>A confidence interval for a proportion, both ends within [0, 1].</summary>
public readonly record struct Interval(double Low, double High);
