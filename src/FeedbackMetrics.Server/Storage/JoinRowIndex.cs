using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// Where each committed join entry lies in the state file: the 128-bit digest of its id (namespace, deployment,
/// request id) to the rowid of its row. The rows are written in the order of their last change, so a new response is
/// appended at the table's tail and the cap deletes at its head: no write lands at a random place in a B-tree keyed by
/// request id (random, as real request ids are UUIDs). The price is this directory in memory, about 50 bytes of
/// managed heap per entry held (SqliteJoinMillionTests: 43 MiB for 900 000 more). A digest names an id as the
/// remembered event ids do; a row read
/// through it is still checked against the id. Changes of the writer's open transaction wait aside and are applied
/// when it commits (<see cref="Committed"/>), dropped when the next transaction begins instead. Not thread-safe: its
/// owner locks.
/// </summary>
internal sealed class JoinRowIndex
{
    private const int StackChars = 256;
    private const int MinTrimCapacity = 4096;

    private readonly Dictionary<IdDigest, long> _rows = [];

    /// <summary>The open transaction's rows: written (a rowid) or deleted (null), by id.</summary>
    private readonly Dictionary<IdDigest, long?> _pending = [];

    /// <summary>Entries whose committed row is known.</summary>
    public int Count => _rows.Count;

    public static IdDigest DigestOf(JoinScope scope, string requestId)
    {
        var length = scope.Namespace.Length + scope.Deployment.Length + requestId.Length + 2;
        char[]? rented = null;
        var chars = length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            // Separated, so that ("ab", "c") and ("a", "bc") differ.
            scope.Namespace.CopyTo(chars);
            var at = scope.Namespace.Length;
            chars[at++] = '\0';
            scope.Deployment.CopyTo(chars[at..]);
            at += scope.Deployment.Length;
            chars[at++] = '\0';
            requestId.CopyTo(chars[at..]);
            var hash = XxHash128.HashToUInt128(MemoryMarshal.AsBytes(chars[..length]));
            return new IdDigest((ulong)(hash >> 64), (ulong)hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>One half of an id's digest as its column holds it (the migration that made the columns).</summary>
    public static long DigestColumn(JoinScope scope, string requestId, bool high)
    {
        var digest = DigestOf(scope, requestId);
        return high ? digest.HighColumn : digest.LowColumn;
    }

    /// <summary>The committed row of an id, or false.</summary>
    public bool TryGetCommitted(IdDigest id, out long row) => _rows.TryGetValue(id, out row);

    /// <summary>The row an id has in the open transaction (written in it, or committed and not deleted in it), or false.</summary>
    public bool TryGetWriting(IdDigest id, out long row)
    {
        if (_pending.TryGetValue(id, out var pending))
        {
            row = pending ?? 0;
            return pending.HasValue;
        }

        return _rows.TryGetValue(id, out row);
    }

    /// <summary>A committed row read from the file (start-up).</summary>
    public void Load(IdDigest id, long row) => _rows[id] = row;

    public void Clear()
    {
        Empty(_rows);
        Begin();
    }

    /// <summary>A write transaction begins: what a failed one left aside is dropped.</summary>
    public void Begin() => Empty(_pending);

    public void Written(IdDigest id, long row) => _pending[id] = row;

    /// <summary>
    /// The transaction deleted an id's row (one by one, or with a range). From then on it has none in the transaction,
    /// even should SQLite hand its rowid to a row inserted later (it reuses the highest rowid once that row is gone).
    /// </summary>
    public void Deleted(IdDigest id) => _pending[id] = null;

    /// <summary>The transaction committed: its rows written and deleted become the directory.</summary>
    public void Committed()
    {
        foreach (var (id, row) in _pending)
        {
            if (row is { } written)
            {
                _rows[id] = written;
            }
            else
            {
                _rows.Remove(id);
            }
        }

        // A dictionary keeps its size when emptied: after a large expiry, give back what a quarter of it would not use.
        if (_pending.Count > 0 && _rows.EnsureCapacity(0) is var capacity && capacity > MinTrimCapacity && _rows.Count < capacity / 4)
        {
            _rows.TrimExcess();
        }

        Begin();
    }

    /// <summary>Empties a dictionary and, when it had grown large (a million forgotten at once), gives its room back.</summary>
    private static void Empty<TValue>(Dictionary<IdDigest, TValue> dictionary)
    {
        dictionary.Clear();
        if (dictionary.EnsureCapacity(0) > MinTrimCapacity)
        {
            dictionary.TrimExcess();
        }
    }
}

/// <summary>The 128-bit digest of a join entry's id, as two halves (stored so in the file's hash columns).</summary>
internal readonly record struct IdDigest(ulong High, ulong Low)
{
    /// <summary>The high half as SQLite's signed 64-bit INTEGER holds it.</summary>
    public long HighColumn => unchecked((long)High);

    public long LowColumn => unchecked((long)Low);

    public static IdDigest FromColumns(long high, long low) => new(unchecked((ulong)high), unchecked((ulong)low));

    public override int GetHashCode() => (int)Low ^ (int)(Low >> 32);

    public bool Equals(IdDigest other) => High == other.High && Low == other.Low;
}
