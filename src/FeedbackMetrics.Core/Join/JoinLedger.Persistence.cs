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
            var versions = new List<((JoinScope, string), long)>();
            foreach (var id in _dirtyEntries)
            {
                if (!_entries.TryHeld(id, out var entry, out var version))
                {
                    continue; // on disk as it is: put back as it was committed
                }

                if (entry is not null)
                {
                    written.Add(RecordOf(id.Scope, id.RequestId, entry));
                }
                else
                {
                    deleted.Add(id);
                }

                versions.Add((id, version));
            }

            // A deployment a rolled-back request brought in is gone again: it was never written, there is nothing to write.
            var scopes = _dirtyScopes.Where(_stats.ContainsKey).Select(scope => StateOf(scope, _stats[scope])).ToList();
            _dirtyEntries.Clear();
            _dirtyScopes.Clear();
            return new JoinChanges(written, deleted, scopes) { Versions = versions, DeleteThrough = _entries.ForgottenThrough, Forgets = _entries.Forgets };
        }
    }

    /// <summary>
    /// The store committed <paramref name="changes"/>: with entries on disk (<see cref="Restore(IJoinEntryStore, IEnumerable{JoinScopeState})"/>),
    /// the ledger forgets the versions it handed over that did not change since, and reads them from the disk from
    /// now on. Call it after the commit has succeeded, never before: until then a lookup must find them here.
    /// </summary>
    public void Committed(JoinChanges changes)
    {
        lock (_lock)
        {
            foreach (var (scope, requestId) in _entries.Committed(changes.Versions, changes.Forgets))
            {
                MarkLocked(scope, requestId);
            }
        }
    }

    /// <summary>Versions and tombstones held in memory now (with entries on disk, what the last commits have not yet written).</summary>
    public int HeldInMemory
    {
        get
        {
            lock (_lock)
            {
                return _entries.InMemory;
            }
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
            var gone = _entries.InScope(scope).Where(pair => pair.Entry.Response is not null && pair.Entry.Key == key).ToList();
            foreach (var ((_, requestId), entry) in gone)
            {
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
            var entries = _entries.All().Select(pair => RecordOf(pair.Id.Scope, pair.Id.RequestId, pair.Entry)).ToList();
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
            ResetLocked(null, scopes);
            foreach (var record in entries.OrderBy(r => r.Sequence))
            {
                var entry = JoinEntry.Of(record);
                _stamp = Math.Max(_stamp, record.Sequence);
                if (_entries.TryGet((record.Scope, record.RequestId), out _))
                {
                    throw new InvalidOperationException($"Request {record.RequestId} of {record.Scope} is stored twice.");
                }

                _entries.Add((record.Scope, record.RequestId), entry);
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

    /// <summary>
    /// Like <see cref="Restore(IEnumerable{JoinRecord}, IEnumerable{JoinScopeState})"/>, but the entries stay on
    /// <paramref name="disk"/>: the ledger reads them when it needs them and holds in memory only what changed since
    /// the last commit (<see cref="Committed"/>). The counts of entries held and the pending rows of the estimate come
    /// from each state's <see cref="JoinScopeState.Held"/>, which must be there.
    /// </summary>
    public void Restore(IJoinEntryStore disk, IEnumerable<JoinScopeState> scopes)
    {
        lock (_lock)
        {
            ResetLocked(disk, scopes);
            _stamp = Math.Max(_stamp, disk.MaxSequence());
            ExpireLocked(_time.GetUtcNow());
            EvictLocked();
        }
    }

    private void ResetLocked(IJoinEntryStore? disk, IEnumerable<JoinScopeState> scopes)
    {
        _entries.Reset(disk);
        _stats.Clear();
        _dirtyEntries.Clear();
        _dirtyScopes.Clear();
        _nextDue = DateTimeOffset.MinValue;
        foreach (var state in scopes)
        {
            _stats[state.Scope] = JoinScopeStats.FromState(state, withHeld: disk is not null);
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

    private static JoinScopeState StateOf(JoinScope scope, JoinScopeStats stats) => stats.State(scope);
}
