using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Server.Json;

/// <summary>
/// One model in the JSON view: the contract's fields (identity, classes, count, accuracy, confusion matrix,
/// per-class and averaged figures) with 95 % Wilson intervals for the accuracy and each class's precision and
/// recall, so a reader can tell a drop from noise, and the reward when events carried one.
/// </summary>
public sealed record DeploymentFigures(
    string Namespace,
    string Deployment,
    string Predictor,
    string Model,
    string[] Classes,
    long Count,
    double Accuracy,
    Interval AccuracyInterval,
    long[][] ConfusionMatrix,
    ClassFigureSet[] PerClass,
    AveragedFigures Macro,
    AveragedFigures Micro,
    AveragedFigures Weighted,
    RewardFigures? Reward)
{
    /// <summary>The summary's figures with the intervals of the same counts (<paramref name="summary"/> already shows class names).</summary>
    public static DeploymentFigures Of(KeySummary summary, KeySnapshot snapshot)
    {
        // Straight from the totals the summary was made of: no second pass over the matrix.
        var totals = snapshot.Totals;
        var perClass = new ClassFigureSet[summary.PerClass.Length];
        for (var c = 0; c < perClass.Length; c++)
        {
            var f = summary.PerClass[c];
            perClass[c] = new ClassFigureSet(
                f.Class, f.Precision, f.Recall, f.F1, f.Support,
                Wilson.Interval(totals.Hits[c], totals.Predicted[c]),
                Wilson.Interval(totals.Hits[c], totals.Support[c]));
        }

        return new DeploymentFigures(
            summary.Namespace, summary.Deployment, summary.Predictor, summary.Model, summary.Classes, summary.Count, summary.Accuracy,
            Wilson.Interval(totals.Correct, summary.Count), summary.ConfusionMatrix, perClass, summary.Macro, summary.Micro, summary.Weighted, summary.Reward);
    }
}
