using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// One step of a <see cref="ChangeSet"/>: what the engine decided, as data a state log keeps and
/// <see cref="EngineState.Apply"/> carries out, the same way live and when a log is replayed.
/// </summary>
public abstract record Change;

/// <summary>An event's digest (<see cref="State.EventHash"/>) to remember until <paramref name="ExpiresAt"/> (Unix milliseconds).</summary>
public sealed record IdRemembered(UInt128 Digest, long ExpiresAt) : Change
{
    /// <summary>
    /// The namespace and deployment the event arrived under, where a log kept per deployment keeps the id (a redelivery
    /// carries the same body, so the same deployment). Set when decided; a log that replays the id does not keep it.
    /// </summary>
    public JoinScope? Scope { get; init; }
}

/// <summary>
/// Rows counted under a key: the classes the key registers first (in this order), each row with its place in the
/// windows and its class positions and scored terms, and the reward of the event, when it carried one; the segment
/// values (already folded into <c>other</c> past <c>--max_segment_values</c>) the rows are also counted under.
/// </summary>
public sealed record RowsCounted(MetricKey Key, string[] NewClasses, CountedRow[] Rows, double? Reward) : Change
{
    public SegmentValue[] Segments { get; init; } = [];
}

/// <summary>
/// Counted rows moved to a new truth (a relabel), each keeping its place in the windows; the classes the key registers
/// first; the segment values the rows were counted under, where they move too.
/// </summary>
public sealed record RowsMoved(MetricKey Key, string[] NewClasses, RowMove[] Moves) : Change
{
    public SegmentValue[] Segments { get; init; } = [];
}

/// <summary>
/// The join's entry for one request id took a step: <paramref name="Entry"/> is the entry after it (null when the step
/// forgets it); the deployment's counts follow from the step and the entry before.
/// </summary>
public sealed record JoinChanged(JoinScope Scope, string RequestId, JoinStep Step, RequestEntry? Entry) : Change;

/// <summary>The names a model's responses gave its classes (Seldon's <c>data.names</c>), shown for CLASS_0, CLASS_1, … from now on.</summary>
public sealed record ClassNamesSet(MetricKey Key, string[] Names) : Change;

/// <summary>Every figure of a key forgotten (a reset); its join entries are forgotten by their own steps before it.</summary>
public sealed record ModelReset(MetricKey Key) : Change;

/// <summary>A metric event for the reply URL, under the outbox sequence number that identifies it there.</summary>
public sealed record ReplyPosted(long Seq, MetricReply Reply) : Change;
