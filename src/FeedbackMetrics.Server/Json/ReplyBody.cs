using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Server.Json;

/// <summary>One counter increment in Seldon's shape: <c>{"key", "type": "COUNTER", "value", "tags": {"class"}}</c>.</summary>
public sealed record ReplyMetric(string Key, string Type, long Value, IReadOnlyDictionary<string, string>? Tags);

/// <summary>
/// The key's figures after this event, bounded: count, accuracy, the averages, the reward, and the per-class
/// figures of the classes this event touched only — never the confusion matrix, whose size grows with the
/// square of the classes (it stays on <c>GET /v1/metrics</c>).
/// </summary>
public sealed record ReplySummary(
    string Namespace,
    string Deployment,
    string Predictor,
    string Model,
    int ClassCount,
    long Count,
    double Accuracy,
    AveragedFigures Macro,
    AveragedFigures Micro,
    AveragedFigures Weighted,
    IReadOnlyList<ClassFigures> Touched,
    RewardFigures? Reward);

/// <summary>The body of a metric CloudEvent: this event's counter updates, its row count, and the key's bounded summary.</summary>
public sealed record ReplyBody(IReadOnlyList<ReplyMetric> Metrics, int Rows, ReplySummary Summary);
