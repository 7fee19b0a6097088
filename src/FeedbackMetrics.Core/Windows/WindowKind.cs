namespace FeedbackMetrics.Core.Windows;

/// <summary>Whether a window holds the last N observations or the observations of the last span of time.</summary>
public enum WindowKind
{
    Count,
    Time,
}
