using FeedbackMetrics.Core.Engine;

namespace FeedbackMetrics.Core.State;

/// <summary>
/// A CloudEvent ready to send: its attributes as text (extensions in the order they are written) and its JSON body.
/// Metric events are kept as data (<see cref="MetricReply"/>) and turned into this by whoever sends them; alert events
/// are built as this directly.
/// </summary>
public sealed record MetricEvent(string Id, string Source, string Type, string Time, IReadOnlyList<KeyValuePair<string, string>> Extensions, byte[] Body);

/// <summary>An event waiting in an outbox, under the sequence number that identifies it there: a metric event as data, or an event already built.</summary>
public sealed record OutboxEntry(long Seq, MetricReply? Reply, MetricEvent? Built = null);
