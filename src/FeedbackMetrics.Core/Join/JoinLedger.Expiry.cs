namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The order of last change, and forgetting by it: the TTL (every call forgets what is due first) and the size cap
/// (oldest first). An entry a call finds past its TTL before expiry reached it (stamps out of step with the clock:
/// entries restored from several replicas, a clock stepped back) is forgotten then, so nothing due is ever joined,
/// corrected or counted as held.
/// </summary>
public sealed partial class JoinLedger
{
    /// <summary>When the oldest entry falls due (a lower bound): calls before it skip expiry without looking at the entries.</summary>
    private DateTimeOffset _nextDue = DateTimeOffset.MaxValue;

    /// <summary>Gives an entry that just changed (or was just added) a new place, last in the order of last change.</summary>
    private void PlaceLocked(JoinScope scope, string requestId, JoinEntry entry, DateTimeOffset now)
    {
        entry.Stamp = ++_stamp;
        entry.LastChange = now;
        _entries.Put((scope, requestId), entry);
        if (now + Limits.Ttl < _nextDue)
        {
            _nextDue = now + Limits.Ttl;
        }

        MarkLocked(scope, requestId);
    }

    /// <summary>
    /// Forgets the entries whose due time has come, oldest first. Stamps follow the clock, so due times grow along the
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
        _entries.Remove((scope, requestId));
        MarkLocked(scope, requestId);
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
