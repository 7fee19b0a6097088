namespace FeedbackMetrics.Core.State;

/// <summary>
/// A metric CloudEvent ready to send: its attributes as text (extensions in the order they are written) and its
/// JSON body. Built once per counted event; the answer to the broker and the post to the reply URL are the same.
/// </summary>
public sealed record MetricEvent(string Id, string Source, string Type, string Time, IReadOnlyList<KeyValuePair<string, string>> Extensions, byte[] Body);

/// <summary>A metric event waiting in an outbox, under the sequence number that identifies it there.</summary>
public sealed record OutboxEntry(long Seq, MetricEvent Event);
