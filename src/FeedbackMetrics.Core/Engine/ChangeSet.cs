namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// What one group of requests changed, in the order the engine decided it: ids to remember, rows counted or moved per
/// model, join entries written or forgotten, models reset, metric events for the reply URL. A state log persists it
/// whole or not at all; replaying it over the state it was decided on gives the state it left.
/// </summary>
public sealed class ChangeSet(DateTimeOffset decidedAt)
{
    private readonly List<Change> _changes = [];

    /// <summary>When the group was decided: the time its rows were counted at and its entries changed.</summary>
    public DateTimeOffset DecidedAt { get; } = decidedAt;

    public IReadOnlyList<Change> Changes => _changes;

    public bool IsEmpty => _changes.Count == 0;

    public void Add(Change change) => _changes.Add(change);

    /// <summary>Drops the changes after the first <paramref name="count"/> (a planned request taken back).</summary>
    internal void TruncateTo(int count) => _changes.RemoveRange(count, _changes.Count - count);
}
