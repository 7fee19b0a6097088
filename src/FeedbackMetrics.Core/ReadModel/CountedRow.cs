using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Core.ReadModel;

/// <summary>One counted row as a key keeps it: its place in the windows and its classes (positions) and scored terms.</summary>
public readonly record struct CountedRow(RowStamp Stamp, WindowRow Row);
