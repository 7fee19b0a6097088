namespace FeedbackMetrics.Core.Decoding;

/// <summary>One row of feedback: the true class and the predicted class.</summary>
public readonly record struct Observation(ClassLabel Truth, ClassLabel Predicted);
