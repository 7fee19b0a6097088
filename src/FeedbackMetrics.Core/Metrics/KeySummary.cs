namespace FeedbackMetrics.Core.Metrics;

/// <summary>Precision, recall and F1 of one class, with its support (number of true rows of that class).</summary>
public sealed record ClassFigures(string Class, double Precision, double Recall, double F1, long Support);

/// <summary>An averaged precision, recall and F1 (macro, micro or weighted).</summary>
public sealed record AveragedFigures(double Precision, double Recall, double F1);

/// <summary>The rewards of Seldon Feedback messages: their sum, how many events carried one, and the mean.</summary>
public sealed record RewardFigures(double Total, long Events, double Mean);

/// <summary>The figures of one key, in the shape of the JSON contract of <c>GET /v1/metrics?format=json</c>.</summary>
public sealed record KeySummary(
    string Namespace,
    string Deployment,
    string Predictor,
    string Model,
    string[] Classes,
    long Count,
    double Accuracy,
    long[][] ConfusionMatrix,
    ClassFigures[] PerClass,
    AveragedFigures Macro,
    AveragedFigures Micro,
    AveragedFigures Weighted,
    RewardFigures? Reward);
