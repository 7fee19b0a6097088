using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Server.Reply;

/// <summary>One counter increment in Seldon's shape: <c>{"key", "type": "COUNTER", "value", "tags": {"class"}}</c>.</summary>
public sealed record ReplyMetric(string Key, string Type, long Value, IReadOnlyDictionary<string, string>? Tags);

/// <summary>The body of a metric CloudEvent: this event's counter updates, its row count, and the key's current figures.</summary>
public sealed record ReplyBody(IReadOnlyList<ReplyMetric> Metrics, int Rows, KeySummary Summary);
