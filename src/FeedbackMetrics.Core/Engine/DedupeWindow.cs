namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// Remembers the digests (<see cref="EventHash"/>) of counted events for a time-to-live and up to a maximum
/// number, the one expiring first forgotten first, so a redelivery within that window is recognised. Every entry
/// carries the sequence number its store wrote it under. Ids come in expiry order as one log applies them (a queue);
/// the few that come earlier than the last (a replica following logs kept per deployment applies one deployment's
/// change sets after another's, or the clock stepped back) wait in a small heap beside it, so which id is forgotten
/// next follows from the ids alone. A store deletes its forgotten rows as one range (<see cref="ForgottenThrough"/>)
/// and the cost of forgetting an id does not grow with how many are remembered. Not thread-safe: its store
/// serialises access.
/// </summary>
public sealed class DedupeWindow(TimeSpan ttl, int maxIds, TimeProvider time)
{
    private readonly Dictionary<UInt128, long> _seqOf = [];
    private readonly Queue<(UInt128 Hash, long Seq, long ExpiresAt)> _order = new();
    private readonly PriorityQueue<(UInt128 Hash, long Seq, long ExpiresAt), (long ExpiresAt, long Seq)> _late = new();
    private long _tailExpiry = long.MinValue;
    private long _highestSeq;

    public TimeSpan Ttl { get; } = ttl;

    public int MaxIds { get; } = maxIds;

    public int Count => _seqOf.Count;

    /// <summary>
    /// Every sequence number up to this one is forgotten (or was never remembered): the one before the oldest id
    /// remembered, or the highest seen when none is. A store deletes its rows up to it without touching a live one,
    /// whatever order the expiries come in.
    /// </summary>
    public long ForgottenThrough
    {
        get
        {
            var first = _order.TryPeek(out var oldest) ? oldest.Seq : long.MaxValue;
            foreach (var (late, _) in _late.UnorderedItems)
            {
                first = Math.Min(first, late.Seq);
            }

            return first == long.MaxValue ? _highestSeq : first - 1;
        }
    }

    /// <summary>Unix milliseconds at which the oldest remembered id expires, or null when none is remembered.</summary>
    public long? OldestExpiry => TryOldest(out var oldest, out _) ? oldest.ExpiresAt : null;

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

        Enqueue(hash, seq, expiresAtUnixMs);
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

        Enqueue(hash, seq, expiresAtUnixMs);
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
    public IEnumerable<(UInt128 Hash, long ExpiresAt)> Remembered() =>
        (_late.Count == 0 ? (IEnumerable<(UInt128 Hash, long Seq, long ExpiresAt)>)_order : _order.Concat(_late.UnorderedItems.Select(static l => l.Element)).OrderBy(static o => o.ExpiresAt).ThenBy(static o => o.Seq))
        .Select(static o => (o.Hash, o.ExpiresAt));

    /// <summary>Forgets everything (a store rebuilding from its file).</summary>
    public void Clear()
    {
        _seqOf.Clear();
        _order.Clear();
        _late.Clear();
        _tailExpiry = long.MinValue;
        _highestSeq = 0;
    }

    private void Evict()
    {
        var now = Now();
        while (TryOldest(out var oldest, out _) && oldest.ExpiresAt <= now)
        {
            Forget();
        }
    }

    private void Enqueue(UInt128 hash, long seq, long expiresAt)
    {
        if (expiresAt < _tailExpiry)
        {
            _late.Enqueue((hash, seq, expiresAt), (expiresAt, seq));
            return;
        }

        _order.Enqueue((hash, seq, expiresAt));
        _tailExpiry = expiresAt;
    }

    /// <summary>The id expiring first (the earlier remembered of two expiring at once), and whether it waits in the heap.</summary>
    private bool TryOldest(out (UInt128 Hash, long Seq, long ExpiresAt) oldest, out bool late)
    {
        var inOrder = _order.TryPeek(out var first);
        var inHeap = _late.TryPeek(out var early, out _);
        late = inHeap && (!inOrder || (early.ExpiresAt, early.Seq).CompareTo((first.ExpiresAt, first.Seq)) < 0);
        oldest = late ? early : first;
        return inOrder || inHeap;
    }

    private void Forget()
    {
        TryOldest(out _, out var late);
        var (hash, _, _) = late ? _late.Dequeue() : _order.Dequeue();
        _seqOf.Remove(hash);
        if (_order.Count == 0)
        {
            _tailExpiry = long.MinValue;
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
