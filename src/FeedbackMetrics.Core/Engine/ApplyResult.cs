namespace FeedbackMetrics.Core.Engine;

/// <summary>What applying one event did.</summary>
public enum ApplyOutcome
{
    /// <summary>Counted, and durable as far as the store promises.</summary>
    Applied,

    /// <summary>This (source, id, type) was counted before; nothing changed.</summary>
    Duplicate,
}

/// <summary>
/// The outcome of one event: the metric event that answers its sender
/// (null for a duplicate, for an event that counted nothing, and for one whose metric event goes to the reply URL only).
/// </summary>
public sealed record ApplyResult(ApplyOutcome Outcome, MetricReply? Reply)
{
    /// <summary>For a response or truth-only event, what the join did with it; null otherwise.</summary>
    public Join.JoinAction? Join { get; init; }

    /// <summary>The figures of the key the event counted under, right after it (also when its metric event goes to the reply URL only); null when it counted nothing.</summary>
    public ReplyFigures? Figures { get; init; }

    public static readonly ApplyResult Duplicate = new(ApplyOutcome.Duplicate, null);
}
