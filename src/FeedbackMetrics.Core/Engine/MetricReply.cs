using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// The metric event of one counted event, as data: its id (derived from the event's (source, id, type), so every copy
/// has one id), when it was counted, the extensions it echoes, the rows whose Seldon counters it reports and the key's
/// bounded figures right after it. The endpoint or the outbox sender turns it into a CloudEvent, outside the writer.
/// </summary>
public sealed record MetricReply(
    string Id,
    DateTimeOffset Time,
    IReadOnlyList<KeyValuePair<string, string>> Extensions,
    bool Binary,
    Observation[] Rows,
    ReplyFigures Figures);

/// <summary>
/// A key's figures right after one event, bounded: count, accuracy, the averages, the reward, and the per-class figures
/// of the classes the event touched only — never the confusion matrix, whose size grows with the square of the classes.
/// </summary>
public sealed record ReplyFigures(
    MetricKey Key,
    int ClassCount,
    long Count,
    double Accuracy,
    AveragedFigures Macro,
    AveragedFigures Micro,
    AveragedFigures Weighted,
    ClassFigures[] Touched,
    RewardFigures? Reward)
{
    /// <summary>The figures of <paramref name="snapshot"/>, with the per-class ones of the classes <paramref name="rows"/> name.</summary>
    public static ReplyFigures Of(KeySnapshot snapshot, ReadOnlySpan<Observation> rows) => Of(MetricsCalculator.Summarize(snapshot, withMatrix: false), rows);

    /// <summary>A key's summary bounded to the per-class figures of the classes <paramref name="rows"/> name.</summary>
    public static ReplyFigures Of(KeySummary s, ReadOnlySpan<Observation> rows)
    {
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            touched.Add(row.Truth.DisplayName);
            touched.Add(row.Predicted.DisplayName);
        }

        return new ReplyFigures(new MetricKey(s.Namespace, s.Deployment, s.Predictor, s.Model), s.Classes.Length, s.Count, s.Accuracy, s.Macro, s.Micro, s.Weighted, [.. s.PerClass.Where(c => touched.Contains(c.Class))], s.Reward);
    }
}
