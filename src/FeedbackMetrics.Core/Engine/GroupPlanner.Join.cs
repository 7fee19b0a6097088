using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// The join side of planning: the entries the group touched (an overlay over the state's), the oldest entries to forget
/// past the TTL or the cap (the state's, oldest first, then those the group wrote, in the order it wrote them), and
/// taking a refused request back.
/// </summary>
internal sealed partial class GroupPlanner
{
    private readonly Dictionary<(JoinScope Scope, string RequestId), RequestEntry?> _overlay = [];
    private readonly List<(JoinScope Scope, string RequestId, RequestEntry Entry)> _written = [];
    private readonly HashSet<MetricKey> _inFlight = [];
    private IEnumerator<(JoinScope Scope, string RequestId, RequestEntry Entry)>? _oldest;
    private bool _stateEntriesLeft = true;
    private int _writtenPassed;
    private int _heldDelta;

    // What the request being planned changed, to take back should it be refused.
    private readonly List<((JoinScope, string) Id, bool Had, RequestEntry? Before)> _overlayUndo = [];
    private readonly List<UInt128> _digests = [];
    private readonly HashSet<MetricKey> _touched = [];
    private readonly List<MetricKey> _keysAdded = [];
    private readonly List<(MetricKey Key, bool Had, IReadOnlyList<string>? Before)> _namesUndo = [];

    private void ClearJoin()
    {
        _overlay.Clear();
        _written.Clear();
        _inFlight.Clear();
        _oldest?.Dispose();
        _oldest = null;
        _stateEntriesLeft = true;
        _writtenPassed = 0;
        _heldDelta = 0;
    }

    /// <summary>Forgets, a chunk at most, the entries whose TTL has passed (oldest first): writer housekeeping at the start of a group.</summary>
    public void ExpireDue(int chunk)
    {
        for (var forgotten = 0; forgotten < chunk && PeekOldest() is { } oldest && oldest.Entry.LastChange + _limits.Ttl <= _now; forgotten++)
        {
            Write(oldest.Scope, oldest.RequestId, JoinStep.Expired, null);
        }
    }

    /// <summary>Forgets the oldest entries while more than the cap are held.</summary>
    public void EvictOverCap()
    {
        while (_state.Join.Count + _heldDelta > _limits.MaxEntries && PeekOldest() is { } oldest)
        {
            Write(oldest.Scope, oldest.RequestId, JoinStep.Evicted, null);
        }
    }

    /// <summary>Forgets the entries of a deployment whose responses count under a key that is being reset.</summary>
    public void DropResponsesOf(MetricKey key)
    {
        var scope = JoinScope.Of(key);
        foreach (var (requestId, _) in _state.Join.InScope(scope))
        {
            if (Live(scope, requestId, expire: false) is { Response: not null } entry && entry.Key == key)
            {
                Write(scope, requestId, JoinStep.Dropped, null);
            }
        }
    }

    /// <summary>The entry held for a request id as the group has left it so far; one past its TTL is forgotten (counted) first.</summary>
    private RequestEntry? Live(JoinScope scope, string requestId, bool expire = true)
    {
        if (_overlay.TryGetValue((scope, requestId), out var seen))
        {
            return seen;
        }

        if (!_state.Join.TryGet(scope, requestId, out var entry))
        {
            return null;
        }

        if (!expire || entry.LastChange + _limits.Ttl > _now)
        {
            return entry;
        }

        Write(scope, requestId, JoinStep.Expired, null);
        return null;
    }

    private void Write(JoinScope scope, string requestId, JoinStep step, RequestEntry? entry)
    {
        var id = (scope, requestId);
        var had = _overlay.TryGetValue(id, out var before);
        _overlayUndo.Add((id, had, before));
        var existed = had ? before is not null : _state.Join.TryGet(scope, requestId, out _);
        _heldDelta += (entry is not null ? 1 : 0) - (existed ? 1 : 0);
        _overlay[id] = entry;
        if (entry is not null)
        {
            _written.Add((scope, requestId, entry));
        }

        _changes.Add(new JoinChanged(scope, requestId, step, entry));
    }

    /// <summary>
    /// The entry that changed longest ago as the group leaves them: first the state's, oldest first, skipping those the
    /// group touched (rewritten later or forgotten); then those the group wrote, in order, skipping superseded versions.
    /// </summary>
    private (JoinScope Scope, string RequestId, RequestEntry Entry)? PeekOldest()
    {
        _stateEntriesLeft &= _state.Join.Count > 0;
        while (_stateEntriesLeft)
        {
            _oldest ??= _state.Join.Entries().GetEnumerator();
            var current = _oldest.Current;
            if (current.Entry is not null && !_overlay.ContainsKey((current.Scope, current.RequestId)))
            {
                return current;
            }

            _stateEntriesLeft = _oldest.MoveNext();
        }

        for (; _writtenPassed < _written.Count; _writtenPassed++)
        {
            var written = _written[_writtenPassed];
            if (_overlay.TryGetValue((written.Scope, written.RequestId), out var now) && ReferenceEquals(now, written.Entry))
            {
                return written;
            }
        }

        return null;
    }

    private Mark Mark()
    {
        _overlayUndo.Clear();
        _digests.Clear();
        _touched.Clear();
        _keysAdded.Clear();
        _namesUndo.Clear();
        return new Mark(_changes.Changes.Count, _written.Count, _writtenPassed, _stamp, _outboxSeq, _newKeys, _heldDelta);
    }

    private void Rollback(Mark mark)
    {
        for (var i = _overlayUndo.Count - 1; i >= 0; i--)
        {
            var (id, had, before) = _overlayUndo[i];
            if (had)
            {
                _overlay[id] = before;
            }
            else
            {
                _overlay.Remove(id);
            }
        }

        foreach (var digest in _digests)
        {
            _seen.Remove(digest);
        }

        for (var i = _namesUndo.Count - 1; i >= 0; i--)
        {
            var (key, had, before) = _namesUndo[i];
            if (had)
            {
                _names[key] = before;
            }
            else
            {
                _names.Remove(key);
            }
        }

        foreach (var key in _touched)
        {
            _keys[key].Rollback();
        }

        foreach (var key in _keysAdded)
        {
            _keys.Remove(key);
            _inFlight.Remove(key);
        }

        _changes.TruncateTo(mark.Changes);
        _written.RemoveRange(mark.Written, _written.Count - mark.Written);
        (_writtenPassed, _stamp, _outboxSeq, _newKeys, _heldDelta) = (mark.WrittenPassed, mark.Stamp, mark.OutboxSeq, mark.NewKeys, mark.HeldDelta);
    }
}

/// <summary>Where a group's plan stood before a request.</summary>
internal readonly record struct Mark(int Changes, int Written, int WrittenPassed, long Stamp, long OutboxSeq, int NewKeys, int HeldDelta);
