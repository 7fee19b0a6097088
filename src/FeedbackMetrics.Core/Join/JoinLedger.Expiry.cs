namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The order of last change, and forgetting by it: the TTL (every call forgets what is due, skipping the look until
/// the oldest due time has come) and the size cap (oldest first).
/// </summary>
public sealed partial class JoinLedger
{
    /// <summary>Forgets what is past the TTL now; every call does it too, this is for a clock with no traffic.</summary>
    public void Expire()
    {
        lock (_lock)
        {
            ExpireLocked(_time.GetUtcNow());
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
    /// Forgets entries whose due time has come, oldest first. Stamps follow the clock, so due times grow along the
    /// order (should the wall clock step back, entries behind the step are forgotten late by the step, not lost).
    /// </summary>
    private void ExpireLocked(DateTimeOffset now)
    {
        if (now < _nextDue)
        {
            return;
        }

        while (_entries.TryOldest(out var id, out var entry))
        {
            if (entry.LastChange + Limits.Ttl > now)
            {
                _nextDue = entry.LastChange + Limits.Ttl;
                return;
            }

            ForgetLocked(id.Scope, id.RequestId, entry, evicted: false);
        }

        _nextDue = DateTimeOffset.MaxValue;
    }

    /// <summary>Forgets the oldest entries while more than the cap are held.</summary>
    private void EvictLocked()
    {
        while (_entries.Count > Limits.MaxEntries && _entries.TryOldest(out var id, out var entry))
        {
            ForgetLocked(id.Scope, id.RequestId, entry, evicted: true);
        }
    }

    private void ForgetLocked(JoinScope scope, string requestId, JoinEntry entry, bool evicted)
    {
        SaveLocked(scope, requestId);
        _entries.ForgetOldest((scope, requestId), entry);

        // With entries on disk the forgotten range deletes it (JoinChanges.DeleteThrough): remembering each id to
        // delete would cost memory per entry forgotten, a million at once when a week's responses fall due.
        if (_entries.OnDisk)
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
