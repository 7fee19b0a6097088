namespace FeedbackMetrics.Core.Join;

/// <summary>
/// Taking changes back: a request is admitted whole or refused whole, also when the refusal comes after the ledger has
/// answered for some of its events (a class or key limit the capacity plan finds).
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
            // TTL, and the savepoint copies no entry of the expiry.
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
                if (before is null)
                {
                    _entries.Remove((scope, requestId));
                }
                else
                {
                    _entries.Put((scope, requestId), before);
                }

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
    private void SaveLocked(JoinScope scope, string requestId)
    {
        if (_open is not { } savepoint)
        {
            return;
        }

        if (!savepoint.Entries.ContainsKey((scope, requestId)))
        {
            savepoint.Entries[(scope, requestId)] = _entries.TryGet((scope, requestId), out var current) ? current.Copy() : null;
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
