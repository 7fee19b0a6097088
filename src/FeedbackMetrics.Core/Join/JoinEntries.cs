using System.Diagnostics.CodeAnalysis;

namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The ledger's entries, and their order of last change. Without a disk it holds every entry. With one
/// (<see cref="IJoinEntryStore"/>) it holds only what changed since the store last committed it — new versions, and
/// forgotten entries as tombstones that hide the row still on disk — and reads the rest from the disk; a version a
/// commit wrote and nothing changed since is forgotten here (<see cref="Committed"/>), so memory holds about one
/// group's changes whatever the number of entries. Oldest first is a queue of the entries held here merged with a
/// scan of the disk in sequence order. Entries forgotten oldest first (expiry, the cap) leave no tombstone each: since
/// every entry older than the one forgotten is gone already, one sequence number (<see cref="ForgottenThrough"/>) hides
/// every row up to it, and the store deletes that range with the next commit; so even a million entries expiring at
/// once cost no memory. Not thread-safe: the ledger locks.
/// </summary>
internal sealed class JoinEntries
{
    /// <summary>Disk rows read ahead per scan step: the head is read when something is due, not on every call.</summary>
    private const int ScanBatch = 256;

    private readonly Dictionary<(JoinScope Scope, string RequestId), Slot> _held = [];
    private readonly PriorityQueue<((JoinScope Scope, string RequestId) Id, long Stamp), long> _queue = new();
    private readonly Queue<JoinRecord> _scan = new();

    /// <summary>The sequence number of the last row read ahead into <see cref="_scan"/>.</summary>
    private long _scanTail;
    private IJoinEntryStore? _disk;
    private long _count;
    private long _version;

    /// <summary>
    /// Disk rows up to this sequence number have been passed by the scan: each was hidden by a tombstone or by a newer
    /// version held here, which the commit replaces it with. Back to 0 when a rollback puts old versions back.
    /// </summary>
    private long _cursor;

    /// <summary>Disk rows up to this sequence number are forgotten (0: none), unless a version of theirs is held here.</summary>
    private long _forgottenThrough;

    /// <summary>How many entries were forgotten oldest first: a commit may stop hiding the range only when none was since it was taken.</summary>
    private long _forgets;

    public long ForgottenThrough => _forgottenThrough;

    public long Forgets => _forgets;

    /// <summary>Entries held, here and on disk.</summary>
    public long Count => _count;

    /// <summary>Versions and tombstones held in memory.</summary>
    public int InMemory => _held.Count;

    public bool OnDisk => _disk is not null;

    /// <summary>Forgets everything held here; with a disk, the entries are those it has committed.</summary>
    public void Reset(IJoinEntryStore? disk)
    {
        _held.Clear();
        _queue.Clear();
        _scan.Clear();
        _disk = disk;
        _count = disk?.Count() ?? 0;
        _cursor = 0;
        _forgottenThrough = 0;
    }

    public bool TryGet((JoinScope Scope, string RequestId) id, [MaybeNullWhen(false)] out JoinEntry entry)
    {
        if (_held.TryGetValue(id, out var slot))
        {
            entry = slot.Entry;
            return entry is not null;
        }

        entry = _disk?.Find(id.Scope, id.RequestId) is { } record && record.Sequence > _forgottenThrough ? JoinEntry.Of(record) : null;
        return entry is not null;
    }

    /// <summary>Takes a new entry.</summary>
    public void Add((JoinScope Scope, string RequestId) id, JoinEntry entry)
    {
        _count++;
        Put(id, entry);
    }

    /// <summary>Keeps an entry's new version (in memory until committed) and its place in the order of last change.</summary>
    public void Put((JoinScope Scope, string RequestId) id, JoinEntry entry)
    {
        _held[id] = new Slot(entry, ++_version);
        _queue.Enqueue((id, entry.Stamp), entry.Stamp);

        // Stale places wait until they reach the head; rebuild the queue when they outnumber the live ones.
        if (_queue.Count > (2 * _held.Count) + 1024)
        {
            _queue.Clear();
            foreach (var (key, slot) in _held)
            {
                if (slot.Entry is { } live)
                {
                    _queue.Enqueue((key, live.Stamp), live.Stamp);
                }
            }
        }
    }

    /// <summary>Forgets an entry (held: a tombstone until the commit deletes its row).</summary>
    public void Remove((JoinScope Scope, string RequestId) id)
    {
        _count--;
        if (_disk is null)
        {
            _held.Remove(id);
        }
        else
        {
            _held[id] = new Slot(null, ++_version);
        }
    }

    /// <summary>
    /// Forgets the entry <see cref="TryOldest"/> gave: with a disk, by moving <see cref="ForgottenThrough"/> up to it
    /// (every live entry is newer), so no tombstone is held.
    /// </summary>
    public void ForgetOldest((JoinScope Scope, string RequestId) id, JoinEntry entry)
    {
        if (_disk is null)
        {
            Remove(id);
            return;
        }

        _count--;
        _forgets++;
        _held.Remove(id);
        _forgottenThrough = Math.Max(_forgottenThrough, entry.Stamp);
    }

    /// <summary>Puts an entry back as it was before a savepoint (null: absent), in its old place in the order.</summary>
    public void PutBack((JoinScope Scope, string RequestId) id, JoinEntry? before)
    {
        var exists = TryGet(id, out _);
        if (before is not null)
        {
            _count += exists ? 0 : 1;
            Put(id, before);
        }
        else if (exists)
        {
            Remove(id);
        }

        // An old version may hide behind rows the scan has passed: scan the disk from the start again.
        _scan.Clear();
        _cursor = 0;
    }

    /// <summary>What a change hands over for an entry: its version held here (entry null: forgotten), or false when nothing is held.</summary>
    public bool TryHeld((JoinScope Scope, string RequestId) id, out JoinEntry? entry, out long version)
    {
        if (_held.TryGetValue(id, out var slot))
        {
            (entry, version) = (slot.Entry, slot.Version);
            return true;
        }

        (entry, version) = (null, 0);
        return _disk is null; // without a disk, an entry not held was forgotten
    }

    /// <summary>
    /// A commit wrote these versions, after deleting the forgotten range as it was when they were taken, with
    /// <paramref name="forgets"/> entries forgotten by then: with a disk, the versions not changed since are read from
    /// it from now on. When nothing was forgotten since, the range is gone from disk and stops hiding rows. Otherwise
    /// it hides on, and returns the versions to write again: those of an old sequence number (put back by a rollback)
    /// that it now hides and the next commit's range delete will take; they stay held until written after it.
    /// </summary>
    public List<(JoinScope Scope, string RequestId)> Committed(IEnumerable<((JoinScope Scope, string RequestId) Id, long Version)> versions, long forgets)
    {
        var again = new List<(JoinScope, string)>();
        if (_disk is null)
        {
            return again;
        }

        // Equal forgotten ranges are not enough: an entry put back with an old number may be forgotten without moving it.
        var stillHiding = forgets != _forgets;
        var deletedThrough = stillHiding ? 0 : _forgottenThrough;
        if (!stillHiding)
        {
            _forgottenThrough = 0; // the range is deleted; a row up to it on disk now was written after the delete
        }

        var scanTail = _scan.Count == 0 ? long.MinValue : _scanTail;
        var rereadScan = false;
        HashSet<(JoinScope, string)>? released = null;
        foreach (var (id, version) in versions)
        {
            if (_held.TryGetValue(id, out var slot) && slot.Version == version)
            {
                if (stillHiding && slot.Entry is { } live && live.Stamp <= _forgottenThrough)
                {
                    again.Add(id);
                }
                else
                {
                    _held.Remove(id);
                    if (scanTail != long.MinValue)
                    {
                        (released ??= []).Add(id);
                        rereadScan |= slot.Entry is { } written && written.Stamp <= scanTail;
                    }
                }
            }
        }

        KeepScan(deletedThrough, released, rereadScan);
        return again;
    }

    /// <summary>
    /// Keeps the rows read ahead across a commit, which at the cap would otherwise read them again after every group.
    /// A commit writes rows newer than any read ahead and deletes or rewrites some: the rows read ahead that it deleted
    /// (the forgotten range, the entries released from memory) are dropped. Only a row written with an old number (a
    /// version put back by a rollback) can land among them: then they are read again.
    /// </summary>
    private void KeepScan(long deletedThrough, HashSet<(JoinScope, string)>? released, bool reread)
    {
        if (_scan.Count == 0 || (deletedThrough == 0 && released is null))
        {
            return;
        }

        if (reread)
        {
            _scan.Clear();
            return;
        }

        var kept = _scan.Where(r => r.Sequence > deletedThrough && released?.Contains((r.Scope, r.RequestId)) != true).ToList();
        _scan.Clear();
        foreach (var record in kept)
        {
            _scan.Enqueue(record);
        }
    }

    /// <summary>The entry that changed longest ago (lowest sequence number), or false when none is held.</summary>
    public bool TryOldest(out (JoinScope Scope, string RequestId) id, [MaybeNullWhen(false)] out JoinEntry entry)
    {
        var held = PeekHeld(out id, out entry);
        var heldStamp = held ? entry!.Stamp : long.MaxValue;
        while (_disk is not null && PeekScan() is { } record && record.Sequence < heldStamp)
        {
            var rowId = (record.Scope, record.RequestId);
            if (!_held.ContainsKey(rowId) && record.Sequence > _forgottenThrough)
            {
                (id, entry) = (rowId, JoinEntry.Of(record));
                return true;
            }

            // Forgotten, or hidden by a tombstone or by a version held here; every version held is queued, and none is
            // older than this row, so the hiding one is newer: the row can be passed for good.
            _scan.Dequeue();
            _cursor = record.Sequence;
        }

        return held;
    }

    /// <summary>Every entry of one deployment, held here or on disk.</summary>
    public List<((JoinScope Scope, string RequestId) Id, JoinEntry Entry)> InScope(JoinScope scope)
    {
        var all = _held.Where(pair => pair.Key.Scope == scope && pair.Value.Entry is not null).Select(pair => (pair.Key, pair.Value.Entry!)).ToList();
        foreach (var record in _disk?.InScope(scope) ?? [])
        {
            if (!_held.ContainsKey((record.Scope, record.RequestId)) && record.Sequence > _forgottenThrough)
            {
                all.Add(((record.Scope, record.RequestId), JoinEntry.Of(record)));
            }
        }

        return all;
    }

    /// <summary>Every entry, held here or on disk (a whole export; tests and migration, not the serving path).</summary>
    public List<((JoinScope Scope, string RequestId) Id, JoinEntry Entry)> All()
    {
        var all = _held.Where(pair => pair.Value.Entry is not null).Select(pair => (pair.Key, pair.Value.Entry!)).ToList();
        for (var after = _forgottenThrough; _disk is not null;)
        {
            var rows = _disk.After(after, 4096);
            if (rows.Count == 0)
            {
                break;
            }

            foreach (var record in rows)
            {
                if (!_held.ContainsKey((record.Scope, record.RequestId)))
                {
                    all.Add(((record.Scope, record.RequestId), JoinEntry.Of(record)));
                }
            }

            after = rows[^1].Sequence;
        }

        return all;
    }

    private bool PeekHeld(out (JoinScope Scope, string RequestId) id, out JoinEntry? entry)
    {
        while (_queue.TryPeek(out var place, out _))
        {
            if (_held.TryGetValue(place.Id, out var slot) && slot.Entry is { } live && live.Stamp == place.Stamp)
            {
                (id, entry) = (place.Id, live);
                return true;
            }

            _queue.Dequeue();
        }

        (id, entry) = (default, null);
        return false;
    }

    private JoinRecord? PeekScan()
    {
        if (_scan.Count == 0)
        {
            foreach (var record in _disk!.After(Math.Max(_cursor, _forgottenThrough), ScanBatch))
            {
                _scan.Enqueue(record);
                _scanTail = record.Sequence;
            }
        }

        return _scan.TryPeek(out var head) ? head : null;
    }

    /// <summary>One version held here: the entry as it is now, or null when it was forgotten (a tombstone).</summary>
    private readonly record struct Slot(JoinEntry? Entry, long Version);
}
