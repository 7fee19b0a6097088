namespace FeedbackMetrics.Core.Join;

/// <summary>
/// What a store writes back: the ledger remembers which entries and deployments changed until
/// <see cref="TakeChanges"/> hands them over, and <see cref="Restore"/> rebuilds it from what a store read.
/// </summary>
public sealed partial class JoinLedger
{
    private readonly HashSet<(JoinScope Scope, string RequestId)> _dirtyEntries = [];
    private readonly HashSet<JoinScope> _dirtyScopes = [];

    /// <summary>
    /// Hands over what changed since the last call: every entry changed and still held as it is now, every entry
    /// forgotten, and the state of every deployment touched.
    /// </summary>
    public JoinChanges TakeChanges()
    {
        lock (_lock)
        {
            var written = new List<JoinRecord>();
            var deleted = new List<(JoinScope, string)>();
            foreach (var id in _dirtyEntries)
            {
                if (_entries.TryGet(id, out var entry))
                {
                    written.Add(RecordOf(id.Scope, id.RequestId, entry));
                }
                else
                {
                    deleted.Add(id);
                }
            }

            // A deployment a rolled-back request brought in is gone again: it was never written, there is nothing to write.
            var scopes = _dirtyScopes.Where(_stats.ContainsKey).Select(scope => _stats[scope].State(scope)).ToList();
            _dirtyEntries.Clear();
            _dirtyScopes.Clear();
            return new JoinChanges(written, deleted, scopes);
        }
    }

    /// <summary>
    /// Replaces everything with stored entries and deployment states, counting what each deployment holds from the
    /// entries, then forgets, counted as usual, what is past the TTL or the cap by now (<see cref="TakeChanges"/> hands
    /// those over). The entries keep their sequence numbers, so their order, and new changes number on after them.
    /// </summary>
    public void Restore(IEnumerable<JoinRecord> entries, IEnumerable<JoinScopeState> scopes)
    {
        lock (_lock)
        {
            _entries.Clear();
            _stats.Clear();
            _dirtyEntries.Clear();
            _dirtyScopes.Clear();
            _nextDue = DateTimeOffset.MinValue;
            foreach (var state in scopes)
            {
                _stats[state.Scope] = JoinScopeStats.FromState(state, withHeld: false);
            }

            foreach (var record in entries.OrderBy(r => r.Sequence))
            {
                var entry = JoinEntry.Of(record);
                _stamp = Math.Max(_stamp, record.Sequence);
                if (_entries.TryGet((record.Scope, record.RequestId), out _))
                {
                    throw new InvalidOperationException($"Request {record.RequestId} of {record.Scope} is stored twice.");
                }

                _entries.Put((record.Scope, record.RequestId), entry);
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
        _dirtyEntries.Add((scope, requestId));
        _dirtyScopes.Add(scope);
    }

    private void MarkLocked(JoinScope scope) => _dirtyScopes.Add(scope);

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
}
