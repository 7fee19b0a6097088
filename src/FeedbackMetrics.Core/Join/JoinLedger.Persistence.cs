namespace FeedbackMetrics.Core.Join;

/// <summary>How a durable store keeps the join: the changes after each commit, and everything back at start-up.</summary>
public sealed partial class JoinLedger
{
    private readonly bool _tracking;
    private readonly HashSet<(JoinScope Scope, string RequestId)> _dirtyEntries = [];
    private readonly HashSet<JoinScope> _dirtyScopes = [];

    /// <summary>
    /// Hands over what changed since the last call (only with <c>trackChanges</c>): every entry changed and still held
    /// as it is now, every entry forgotten, and the state of every deployment touched. A store writes them in the
    /// transaction that makes the changes durable.
    /// </summary>
    public JoinChanges TakeChanges()
    {
        lock (_lock)
        {
            var written = new List<JoinRecord>();
            var deleted = new List<(JoinScope, string)>();
            foreach (var (scope, requestId) in _dirtyEntries)
            {
                if (_entries.TryGetValue((scope, requestId), out var entry))
                {
                    written.Add(RecordOf(scope, requestId, entry));
                }
                else
                {
                    deleted.Add((scope, requestId));
                }
            }

            var scopes = _dirtyScopes.Select(scope => StateOf(scope, _stats[scope])).ToList();
            _dirtyEntries.Clear();
            _dirtyScopes.Clear();
            return new JoinChanges(written, deleted, scopes);
        }
    }

    /// <summary>Hands changes back whose write failed: the next <see cref="TakeChanges"/> includes them again, as they are then.</summary>
    public void Untake(JoinChanges changes)
    {
        lock (_lock)
        {
            foreach (var record in changes.Written)
            {
                MarkLocked(record.Scope, record.RequestId);
            }

            foreach (var (scope, requestId) in changes.Deleted)
            {
                MarkLocked(scope, requestId);
            }

            foreach (var state in changes.Scopes)
            {
                MarkLocked(state.Scope);
            }
        }
    }

    /// <summary>
    /// Forgets every entry whose response counts under <paramref name="key"/> (its figures were reset: rows counted
    /// before must not be moved, responses of the old model not joined); returns how many. Not counted as expiries.
    /// </summary>
    public int ForgetKey(Identity.MetricKey key)
    {
        lock (_lock)
        {
            var scope = JoinScope.Of(key);
            var gone = _entries.Where(pair => pair.Key.Scope == scope && pair.Value.Response is not null && pair.Value.Key == key).Select(pair => pair.Key).ToList();
            foreach (var (_, requestId) in gone)
            {
                var entry = _entries[(scope, requestId)];
                SaveLocked(scope, requestId);
                _entries.Remove((scope, requestId));
                MarkLocked(scope, requestId);
                var stats = _stats[scope];
                if (entry.IsJoined)
                {
                    stats.JoinedHeld--;
                }
                else
                {
                    stats.PendingResponses--;
                    stats.Estimator.Pending(entry.Response!, -1);
                }
            }

            return gone.Count;
        }
    }

    /// <summary>Every entry held and every deployment's state, as <see cref="TakeChanges"/> would write them all.</summary>
    public (List<JoinRecord> Entries, List<JoinScopeState> Scopes) Export()
    {
        lock (_lock)
        {
            var entries = _entries.Select(pair => RecordOf(pair.Key.Scope, pair.Key.RequestId, pair.Value)).ToList();
            return (entries, [.. _stats.Select(pair => StateOf(pair.Key, pair.Value))]);
        }
    }

    /// <summary>
    /// Replaces everything with stored entries and deployment states (start-up restore, or after a failed commit),
    /// then forgets, counted as usual, what is past the TTL or the cap by now (<see cref="TakeChanges"/> hands those
    /// over). The entries keep their sequence numbers, so their order, and new changes number on after them.
    /// </summary>
    public void Restore(IEnumerable<JoinRecord> entries, IEnumerable<JoinScopeState> scopes)
    {
        lock (_lock)
        {
            _entries.Clear();
            _stats.Clear();
            _expiry.Clear();
            _dirtyEntries.Clear();
            _dirtyScopes.Clear();
            foreach (var state in scopes)
            {
                var stats = StatsLocked(state.Scope);
                stats.Totals = state.Totals;
                stats.Delay.Restore(state.DelayCounts);
                stats.Estimator.RestoreReliability(state.ReliabilityRows, state.ReliabilityCorrect);
                stats.Estimator.RestoreRealized(state.RealizedRows, state.RealizedExpected, state.RealizedCorrect);
            }

            foreach (var record in entries.OrderBy(r => r.Sequence))
            {
                var entry = new JoinEntry
                {
                    Key = record.Key ?? default,
                    Response = record.Response,
                    ResponseArrived = record.ResponseArrived,
                    Truth = record.Truth,
                    Reward = record.Reward,
                    TruthArrived = record.TruthArrived,
                    CountedAt = record.CountedAt,
                    Counted = record.Counted is null ? null : [.. record.Counted],
                    LastChange = record.LastChange,
                    Stamp = record.Sequence,
                };
                _stamp = Math.Max(_stamp, record.Sequence);
                if (!_entries.TryAdd((record.Scope, record.RequestId), entry))
                {
                    throw new InvalidOperationException($"Request {record.RequestId} of {record.Scope} is stored twice.");
                }

                _expiry.Enqueue((record.Scope, record.RequestId, entry.Stamp), entry.Stamp);
                var stats = StatsLocked(record.Scope);
                if (entry.IsJoined)
                {
                    stats.JoinedHeld++;
                }
                else if (entry.Response is not null)
                {
                    stats.PendingResponses++;
                    stats.Estimator.Pending(entry.Response, +1);
                }
                else
                {
                    stats.ParkedTruths++;
                }
            }

            ExpireLocked(_time.GetUtcNow());
            EvictLocked();
        }
    }

    private void MarkLocked(JoinScope scope, string requestId)
    {
        if (_tracking)
        {
            _dirtyEntries.Add((scope, requestId));
            _dirtyScopes.Add(scope);
        }
    }

    private void MarkLocked(JoinScope scope)
    {
        if (_tracking)
        {
            _dirtyScopes.Add(scope);
        }
    }

    private static JoinRecord RecordOf(JoinScope scope, string requestId, JoinEntry entry) => new(
        scope,
        requestId,
        entry.Response is null ? null : entry.Key,
        entry.Response,
        entry.ResponseArrived,
        entry.Truth,
        entry.Reward,
        entry.TruthArrived,
        entry.CountedAt,
        entry.LastChange,
        entry.Stamp,
        entry.Counted);

    private static JoinScopeState StateOf(JoinScope scope, JoinScopeStats stats)
    {
        var (rows, correct) = stats.Estimator.Reliability();
        var (realizedRows, realizedExpected, realizedCorrect) = stats.Estimator.Realized();
        return new JoinScopeState(
            scope,
            stats.Totals,
            stats.Delay.Counts(),
            rows,
            correct,
            realizedRows,
            realizedExpected,
            realizedCorrect);
    }
}
