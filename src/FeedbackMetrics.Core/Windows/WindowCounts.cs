using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// What one window holds at a moment: its confusion matrix over the key's classes (dense, <see cref="Classes"/>²
/// cells, row-major, rows the true class) and the probability sums of its scored rows. A copy, owned by the reader.
/// </summary>
public sealed record WindowCounts(int Classes, long[] Matrix, long Count, ProbabilitySums Probabilities)
{
    /// <summary>The window's figures, with its label shift against the key's cumulative matrix over the same classes.</summary>
    public FigureSet ToFigures(string[] classes, long[] cumulativeMatrix) =>
        classes.Length == Classes
            ? FigureCalculator.Compute(classes, Matrix, Probabilities, cumulativeMatrix)
            : throw new ArgumentException($"The window was read for {Classes} classes, not {classes.Length}.", nameof(classes));
}
