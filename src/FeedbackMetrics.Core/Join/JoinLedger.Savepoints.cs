namespace FeedbackMetrics.Core.Join;

/// <summary>
/// Taking changes back: a store admits each request whole or refuses it whole, and takes a whole group back when its
/// commit fails, after the ledger has already answered for it.
/// </summary>
public sealed partial class JoinLedger
{
    private JoinSavepoint? _open;

    /// <summary>
    /// Forgets what is past the TTL, then starts remembering, until <see cref="End"/>, how every entry and deployment
    /// the next calls change was before (expiries falling due meanwhile and evictions included), so
    /// <see cref="Rollback"/> can put it back. One savepoint is open at a time.
    /// </summary>
    public JoinSavepoint Begin()
    {
        lock (_lock)
        {
            if (_open is not null)
            {
                throw new InvalidOperationException("A join savepoint is already open.");
            }

            // What is due goes before the savepoint opens: taking a request back never brings back an entry past its
            // TTL, and the savepoint does not copy every entry of a large expiry (a million when a week falls due).
            ExpireLocked(_time.GetUtcNow());
            return _open = new JoinSavepoint();
        }
    }

    /// <summary>Stops remembering; the savepoint can still be rolled back while nothing after it has been kept.</summary>
    public void End(JoinSavepoint savepoint)
    {
        lock (_lock)
        {
            if (_open == savepoint)
            {
                _open = null;
            }
        }
    }

    /// <summary>
    /// Puts back every entry and deployment as they were when <paramref name="savepoint"/> began. Savepoints taken
    /// after it must be rolled back first (newest first). An entry put back gets its place in the expiry order back.
    /// </summary>
    public void Rollback(JoinSavepoint savepoint)
    {
        lock (_lock)
        {
            if (_open == savepoint)
            {
                _open = null;
            }

            foreach (var ((scope, requestId), before) in savepoint.Entries)
            {
                _entries.PutBack((scope, requestId), before);
                MarkLocked(scope, requestId);
            }

            // An entry put back may be older than the one expiry was waiting for.
            _nextDue = DateTimeOffset.MinValue;

            foreach (var (scope, before) in savepoint.Scopes)
            {
                if (before is null)
                {
                    _stats.Remove(scope);
                }
                else
                {
                    _stats[scope] = before;
                }

                MarkLocked(scope);
            }
        }
    }

    /// <summary>Remembers, the first time in the open savepoint, how an entry and its deployment were.</summary>
    private void SaveLocked(JoinScope scope, string requestId) => SaveLocked(scope, requestId, null, known: false);

    /// <summary>Remembers an entry the caller holds already (<paramref name="current"/>, as the ledger has it now): no second lookup, which with a disk would be a read.</summary>
    private void SaveLocked(JoinScope scope, string requestId, JoinEntry current) => SaveLocked(scope, requestId, current, known: true);

    private void SaveLocked(JoinScope scope, string requestId, JoinEntry? current, bool known)
    {
        if (_open is not { } savepoint)
        {
            return;
        }

        if (!savepoint.Entries.ContainsKey((scope, requestId)))
        {
            if (!known)
            {
                _entries.TryGet((scope, requestId), out current);
            }

            savepoint.Entries[(scope, requestId)] = current?.Copy();
        }

        if (!savepoint.Scopes.ContainsKey(scope))
        {
            savepoint.Scopes[scope] = _stats.TryGetValue(scope, out var stats) ? stats.Copy() : null;
        }
    }
}

/// <summary>What a <see cref="JoinLedger"/> savepoint remembers: entries and deployments as they were before it (null: absent).</summary>
public sealed class JoinSavepoint
{
    internal Dictionary<(JoinScope Scope, string RequestId), JoinEntry?> Entries { get; } = [];

    internal Dictionary<JoinScope, JoinScopeStats?> Scopes { get; } = [];
}
