using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Core.ReadModel;

/// <summary>One counted row moved to a new truth (a relabel): where it sits in the windows, as it was and as it is now.</summary>
public readonly record struct RowMove(RowStamp Stamp, WindowRow From, WindowRow To);
