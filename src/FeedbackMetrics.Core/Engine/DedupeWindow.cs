namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// Remembers the digests (<see cref="EventHash"/>) of counted events for a time-to-live and up to a maximum
/// number, oldest forgotten first, so a redelivery within that window is recognised. Every entry carries the
/// sequence number its store wrote it under; forgetting is in that order, so a store deletes its forgotten
/// rows as one range (<see cref="ForgottenThrough"/>) and the cost of forgetting an id does not grow with
/// how many are remembered. Not thread-safe: its store serialises access.
/// </summary>
public sealed class DedupeWindow(TimeSpan ttl, int maxIds, TimeProvider time)
{
    private readonly Dictionary<UInt128, long> _seqOf = [];
    private readonly Queue<(UInt128 Hash, long Seq, long ExpiresAt)> _order = new();
    private long _highestSeq;

    public TimeSpan Ttl { get; } = ttl;

    public int MaxIds { get; } = maxIds;

    public int Count => _seqOf.Count;

    /// <summary>
    /// Every sequence number up to this one is forgotten (or was never remembered): the one before the oldest id
    /// remembered, or the highest seen when none is. A store deletes its rows up to it without touching a live one,
    /// whatever order the expiries come in.
    /// </summary>
    public long ForgottenThrough => _order.TryPeek(out var oldest) ? oldest.Seq - 1 : _highestSeq;

    /// <summary>Unix milliseconds at which the oldest remembered id expires, or null when none is remembered.</summary>
    public long? OldestExpiry => _order.TryPeek(out var oldest) ? oldest.ExpiresAt : null;

    /// <summary>The expiry a newly counted id gets, in Unix milliseconds.</summary>
    public long NewExpiry() => Now() + (long)Ttl.TotalMilliseconds;

    public bool Contains(UInt128 hash)
    {
        Evict();
        return _seqOf.ContainsKey(hash);
    }

    /// <summary>Remembers the digest under a sequence number; false if it is already remembered or already expired.</summary>
    public bool TryAdd(UInt128 hash, long seq, long expiresAtUnixMs)
    {
        Evict();
        _highestSeq = Math.Max(_highestSeq, seq);
        if (expiresAtUnixMs <= Now())
        {
            return false;
        }

        if (!_seqOf.TryAdd(hash, seq))
        {
            return false;
        }

        _order.Enqueue((hash, seq, expiresAtUnixMs));
        while (_seqOf.Count > MaxIds)
        {
            Forget();
        }

        return true;
    }

    /// <summary>
    /// Puts back an id a log kept (start-up), in the order it was remembered, judged against one clock reading for the
    /// whole load; false when it has expired meanwhile.
    /// </summary>
    public bool Restore(UInt128 hash, long seq, long expiresAtUnixMs, long nowUnixMs)
    {
        _highestSeq = Math.Max(_highestSeq, seq);
        if (expiresAtUnixMs <= nowUnixMs || !_seqOf.TryAdd(hash, seq))
        {
            return false;
        }

        _order.Enqueue((hash, seq, expiresAtUnixMs));
        if (_seqOf.Count > MaxIds)
        {
            Forget();
        }

        return true;
    }

    /// <summary>Makes room for this many ids at once (a store about to restore them), so loading does not regrow the tables.</summary>
    public void Reserve(int count)
    {
        var n = Math.Min(count, MaxIds);
        _seqOf.EnsureCapacity(n);
        _order.EnsureCapacity(n);
    }

    /// <summary>Every id remembered, with its expiry (Unix ms), in the order they were remembered (what a full snapshot keeps).</summary>
    public IEnumerable<(UInt128 Hash, long ExpiresAt)> Remembered() => _order.Select(static o => (o.Hash, o.ExpiresAt));

    /// <summary>Forgets everything (a store rebuilding from its file).</summary>
    public void Clear()
    {
        _seqOf.Clear();
        _order.Clear();
        _highestSeq = 0;
    }

    private void Evict()
    {
        var now = Now();
        while (_order.TryPeek(out var oldest) && oldest.ExpiresAt <= now)
        {
            Forget();
        }
    }

    private void Forget()
    {
        var (hash, _, _) = _order.Dequeue();
        _seqOf.Remove(hash);
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
