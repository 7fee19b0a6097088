using System.Diagnostics.CodeAnalysis;

namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The ledger's entries by request id, and their order of last change: a priority queue on the stamp of each entry's
/// latest change. A change adds a place and leaves the older one stale, skipped when it reaches the head (cheaper than
/// finding it); the queue is rebuilt when stale places outnumber live ones. Not thread-safe: the ledger locks.
/// </summary>
internal sealed class JoinEntries
{
    private readonly Dictionary<(JoinScope Scope, string RequestId), JoinEntry> _held = [];
    private readonly PriorityQueue<((JoinScope Scope, string RequestId) Id, long Stamp), long> _queue = new();

    /// <summary>Entries held, all deployments together.</summary>
    public int Count => _held.Count;

    public void Clear()
    {
        _held.Clear();
        _queue.Clear();
    }

    public bool TryGet((JoinScope Scope, string RequestId) id, [MaybeNullWhen(false)] out JoinEntry entry) =>
        _held.TryGetValue(id, out entry);

    /// <summary>Keeps an entry, new or changed, and its place in the order of last change (its <see cref="JoinEntry.Stamp"/>).</summary>
    public void Put((JoinScope Scope, string RequestId) id, JoinEntry entry)
    {
        _held[id] = entry;
        _queue.Enqueue((id, entry.Stamp), entry.Stamp);
        if (_queue.Count > (2 * _held.Count) + 1024)
        {
            _queue.Clear();
            foreach (var (key, live) in _held)
            {
                _queue.Enqueue((key, live.Stamp), live.Stamp);
            }
        }
    }

    public void Remove((JoinScope Scope, string RequestId) id) => _held.Remove(id);

    /// <summary>The entry that changed longest ago (lowest stamp), or false when none is held.</summary>
    public bool TryOldest(out (JoinScope Scope, string RequestId) id, [MaybeNullWhen(false)] out JoinEntry entry)
    {
        while (_queue.TryPeek(out var place, out _))
        {
            if (_held.TryGetValue(place.Id, out var live) && live.Stamp == place.Stamp)
            {
                (id, entry) = (place.Id, live);
                return true;
            }

            _queue.Dequeue();
        }

        (id, entry) = (default, null);
        return false;
    }
}
