using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.State;

/// <summary>
/// Remembers the ids of counted events for a time-to-live and up to a maximum number, oldest forgotten
/// first, so a redelivery within that window is recognised. Thread-safe.
/// </summary>
public sealed class DedupeWindow(TimeSpan ttl, int maxIds, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<CloudEventId, long> _expiry = [];
    private readonly Queue<(CloudEventId Id, long ExpiresAt)> _order = new();

    public TimeSpan Ttl { get; } = ttl;

    public int MaxIds { get; } = maxIds;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _expiry.Count;
            }
        }
    }

    /// <summary>The expiry a newly counted id gets, in Unix milliseconds.</summary>
    public long NewExpiry() => time.GetUtcNow().ToUnixTimeMilliseconds() + (long)Ttl.TotalMilliseconds;

    public bool Contains(CloudEventId id)
    {
        lock (_lock)
        {
            Evict();
            return _expiry.ContainsKey(id);
        }
    }

    /// <summary>Adds the id; false if it is already remembered (a redelivery).</summary>
    public bool TryAdd(CloudEventId id) => TryAdd(id, NewExpiry());

    /// <summary>Adds the id with a known expiry (restore); false if it is already remembered or already expired.</summary>
    public bool TryAdd(CloudEventId id, long expiresAtUnixMs)
    {
        lock (_lock)
        {
            Evict();
            if (expiresAtUnixMs <= Now() || !_expiry.TryAdd(id, expiresAtUnixMs))
            {
                return false;
            }

            _order.Enqueue((id, expiresAtUnixMs));
            while (_expiry.Count > MaxIds && _order.TryDequeue(out var oldest))
            {
                Forget(oldest);
            }

            return true;
        }
    }

    public void Remove(CloudEventId id)
    {
        lock (_lock)
        {
            _expiry.Remove(id);
        }
    }

    private void Evict()
    {
        var now = Now();
        while (_order.TryPeek(out var oldest) && (oldest.ExpiresAt <= now || !_expiry.ContainsKey(oldest.Id)))
        {
            _order.Dequeue();
            Forget(oldest);
        }
    }

    private void Forget((CloudEventId Id, long ExpiresAt) entry)
    {
        // Only forget the entry this queue item stands for: a removed-then-re-added id has a newer expiry.
        if (_expiry.TryGetValue(entry.Id, out var expiresAt) && expiresAt == entry.ExpiresAt)
        {
            _expiry.Remove(entry.Id);
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
