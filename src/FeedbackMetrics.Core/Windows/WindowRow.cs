using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// One observation as windows keep it: the positions of its true and predicted class in the key's class order, and
/// the scored probability vector when its response carried a distribution.
/// </summary>
public readonly record struct WindowRow(int Truth, int Predicted, ScoredRow? Probability = null);
