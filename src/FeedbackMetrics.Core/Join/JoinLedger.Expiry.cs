namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The order of last change, and forgetting by it: the TTL (every call forgets what is due, skipping the look until
/// the oldest due time has come) and the size cap (oldest first). A call forgets at most <see cref="ForgetChunk"/>
/// entries while holding the lock, so a week of responses falling due at once (a million, read from disk) never stops
/// ingest for seconds: calls on the ingest path forget a chunk each, and <see cref="Expire"/> and the figures forget
/// everything due a chunk at a time, letting other calls in between. An entry a call finds past its TTL before its
/// turn comes is forgotten then, so nothing due is ever joined, corrected or counted as held.
/// </summary>
public sealed partial class JoinLedger
{
    /// <summary>Entries one call forgets at most while holding the lock by default (a few milliseconds with entries on disk).</summary>
    public const int DefaultForgetChunk = 1024;

    /// <summary>Forgets what is past the TTL now, a chunk at a time; every call does it too, this is for a clock with no traffic.</summary>
    public void Expire()
    {
        var now = _time.GetUtcNow();
        while (true)
        {
            lock (_lock)
            {
                if (!ExpireLocked(now) && !EvictLocked())
                {
                    return;
                }
            }

            Thread.Yield(); // a waiting writer gets the lock between chunks
        }
    }

    /// <summary>Gives an entry that just changed (or was just <paramref name="added"/>) a new place, last in the order of last change.</summary>
    private void PlaceLocked(JoinScope scope, string requestId, JoinEntry entry, DateTimeOffset now, bool added = false)
    {
        entry.Stamp = ++_stamp;
        entry.LastChange = now;
        if (added)
        {
            _entries.Add((scope, requestId), entry);
        }
        else
        {
            _entries.Put((scope, requestId), entry);
        }

        if (now + Limits.Ttl < _nextDue)
        {
            _nextDue = now + Limits.Ttl;
        }

        MarkLocked(scope, requestId);
    }

    /// <summary>
    /// Forgets entries whose due time has come, oldest first, at most <see cref="ForgetChunk"/>; returns true when more
    /// are due. Stamps follow the clock, so due times grow along the order (should the wall clock step back, entries
    /// behind the step are forgotten late by the step, not lost).
    /// </summary>
    private bool ExpireLocked(DateTimeOffset now)
    {
        if (now < _nextDue)
        {
            return false;
        }

        for (var forgotten = 0; _entries.TryOldest(out var id, out var entry); forgotten++)
        {
            if (entry.LastChange + Limits.Ttl > now)
            {
                _nextDue = entry.LastChange + Limits.Ttl;
                return false;
            }

            if (forgotten == ForgetChunk)
            {
                return true; // _nextDue stays passed: the next call goes on
            }

            ForgetLocked(id.Scope, id.RequestId, entry, evicted: false);
        }

        _nextDue = DateTimeOffset.MaxValue;
        return false;
    }

    /// <summary>True when an entry a call found is past its TTL though expiry has not reached it yet (a large expiry under way).</summary>
    private bool DueLocked(JoinEntry entry, DateTimeOffset now) => entry.LastChange + Limits.Ttl <= now;

    /// <summary>Forgets, counted as expired, an entry found past its TTL before its turn: out of order, so a tombstone with a disk.</summary>
    private void ForgetDueLocked(JoinScope scope, string requestId, JoinEntry entry) =>
        ForgetLocked(scope, requestId, entry, evicted: false, oldest: false);

    /// <summary>Forgets the oldest entries while more than the cap are held, at most a chunk; returns true when more are over it.</summary>
    private bool EvictLocked()
    {
        for (var forgotten = 0; _entries.Count > Limits.MaxEntries && _entries.TryOldest(out var id, out var entry); forgotten++)
        {
            if (forgotten == ForgetChunk)
            {
                return true;
            }

            ForgetLocked(id.Scope, id.RequestId, entry, evicted: true);
        }

        return false;
    }

    private void ForgetLocked(JoinScope scope, string requestId, JoinEntry entry, bool evicted, bool oldest = true)
    {
        SaveLocked(scope, requestId, entry);
        if (oldest)
        {
            _entries.ForgetOldest((scope, requestId), entry);
        }
        else
        {
            _entries.Remove((scope, requestId));
        }

        // With entries on disk the forgotten range deletes it (JoinChanges.DeleteThrough): remembering each id to
        // delete would cost memory per entry forgotten, a million at once when a week's responses fall due.
        if (oldest && _entries.OnDisk)
        {
            MarkLocked(scope);
        }
        else
        {
            MarkLocked(scope, requestId);
        }

        var stats = _stats[scope];
        if (entry.IsJoined)
        {
            stats.JoinedHeld--;
            stats.Totals.ForgottenJoins++;
        }
        else if (entry.Response is not null)
        {
            stats.PendingResponses--;
            stats.Estimator.Pending(entry.Response, -1);
            if (evicted)
            {
                stats.Totals.EvictedResponses++;
            }
            else
            {
                stats.Totals.ExpiredResponses++;
            }
        }
        else
        {
            stats.ParkedTruths--;
            if (evicted)
            {
                stats.Totals.EvictedTruths++;
            }
            else
            {
                stats.Totals.ExpiredTruths++;
            }
        }
    }
}
