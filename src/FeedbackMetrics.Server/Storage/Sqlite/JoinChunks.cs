using System.Collections;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// Where the snapshot keeps the join's entries: in chunks, one written per snapshot with every entry changed since
/// (appended: no random B-tree insert per entry), each with a bitmap of the entries a later version or a forget made
/// dead. A chunk none of whose entries is live is deleted; chunks kept mostly for a few live entries are compacted by
/// writing those again into the next chunk. This is the bookkeeping in memory (which entries of each chunk are live);
/// the join keeps where each entry's current version is stored (<see cref="JoinBook.MarkStored"/>) and hands back the
/// places of the versions it replaced or forgot; <see cref="SqliteStateLog"/> does the writing.
/// </summary>
internal sealed class JoinChunks
{
    /// <summary>Entries rewritten at most per snapshot to compact, beyond those that changed.</summary>
    private const int CompactionBudget = 4096;

    private readonly SortedDictionary<long, Chunk> _chunks = [];
    private long _stored;
    private long _live;

    public long NextSeq { get; private set; } = 1;

    /// <summary>
    /// Where an entry is stored, as the join keeps it for its current version (<see cref="JoinBook.MarkStored"/>): the
    /// chunk's sequence and the entry's index in it, in one number (never 0: sequences start at 1).
    /// </summary>
    public static long Location(long seq, int index) => (seq << 32) | (uint)index;

    /// <summary>A chunk read at start-up: its entries in order and which are dead.</summary>
    public void Loaded(long seq, (JoinScope Scope, string RequestId)[] ids, BitArray dead)
    {
        var chunk = new Chunk(ids, dead);
        for (var i = 0; i < ids.Length; i++)
        {
            chunk.Live += dead[i] ? 0 : 1;
        }

        _chunks[seq] = chunk;
        _stored += ids.Length;
        _live += chunk.Live;
        NextSeq = Math.Max(NextSeq, seq + 1);
    }

    /// <summary>
    /// Plans one snapshot: where the versions the join replaced or forgot since were stored, the entries written since
    /// (as they are now), and the join as it stands (to read the live entries of chunks being compacted, and to note
    /// where each entry of the new chunk is stored). Returns the new chunk's entries (null when none), the chunks whose
    /// dead bitmap changed, and the chunks to delete.
    /// </summary>
    public ChunkWrites Plan(IReadOnlyList<long> released, IReadOnlyList<(JoinScope Scope, string RequestId, RequestEntry Entry)> written, JoinBook join)
    {
        var changed = new HashSet<long>();
        foreach (var at in released)
        {
            Kill(at, changed);
        }

        var rows = new List<(JoinScope Scope, string RequestId, RequestEntry Entry)>(written);
        Compact(rows, join, changed);

        // In stamp order: a start-up then finds the entries nearly in the order the join keeps them.
        rows.Sort(static (a, b) => a.Entry.Stamp.CompareTo(b.Entry.Stamp));
        long? seq = null;
        if (rows.Count > 0)
        {
            seq = NextSeq++;
            var ids = new (JoinScope, string)[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                ids[i] = (rows[i].Scope, rows[i].RequestId);
                join.MarkStored(rows[i].Scope, rows[i].RequestId, Location(seq.Value, i));
            }

            _chunks[seq.Value] = new Chunk(ids, new BitArray(ids.Length)) { Live = ids.Length };
            _stored += ids.Length;
            _live += ids.Length;
        }

        var deleted = changed.Where(s => _chunks[s].Live == 0).ToList();
        foreach (var s in deleted)
        {
            _stored -= _chunks[s].Ids.Length;
            _chunks.Remove(s);
        }

        var updated = changed.Where(_chunks.ContainsKey).Select(s => (s, Bitmap(_chunks[s].Dead))).ToList();
        return new ChunkWrites(seq, rows, updated, deleted);
    }

    /// <summary>Forgets everything (the log reloading its file).</summary>
    public void Clear()
    {
        _chunks.Clear();
        _stored = 0;
        _live = 0;
        NextSeq = 1;
    }

    public static byte[] Bitmap(BitArray bits)
    {
        var bytes = new byte[(bits.Length + 7) / 8];
        bits.CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>Marks the entry stored at <paramref name="at"/> (<see cref="Location"/>) dead, once.</summary>
    private void Kill(long at, HashSet<long> changed)
    {
        var (seq, index) = (at >> 32, (int)at);
        if (_chunks.TryGetValue(seq, out var chunk) && index < chunk.Ids.Length && !chunk.Dead[index])
        {
            chunk.Dead[index] = true;
            chunk.Live--;
            _live--;
            changed.Add(seq);
        }
    }

    /// <summary>
    /// When chunks hold more than twice the live entries, writes the live entries of the emptiest old chunks again (up to
    /// a budget), so the file stays within a small factor of what the join holds whatever the order entries die in.
    /// </summary>
    private void Compact(List<(JoinScope, string, RequestEntry)> rows, JoinBook join, HashSet<long> changed)
    {
        var live = _live + rows.Count;
        if (_stored <= (2L * live) + CompactionBudget)
        {
            return;
        }

        var budget = CompactionBudget;
        foreach (var (seq, chunk) in _chunks.Where(c => c.Value.Live * 2 < c.Value.Ids.Length).ToList())
        {
            if (chunk.Live > budget)
            {
                break;
            }

            for (var i = 0; i < chunk.Ids.Length; i++)
            {
                if (!chunk.Dead[i] && join.TryGet(chunk.Ids[i].Scope, chunk.Ids[i].RequestId, out var entry))
                {
                    rows.Add((chunk.Ids[i].Scope, chunk.Ids[i].RequestId, entry));
                    Kill(Location(seq, i), changed);
                    budget--;
                }
            }
        }
    }

    private sealed class Chunk((JoinScope Scope, string RequestId)[] ids, BitArray dead)
    {
        public (JoinScope Scope, string RequestId)[] Ids { get; } = ids;

        public BitArray Dead { get; } = dead;

        public int Live { get; set; }
    }
}

/// <summary>What one snapshot writes of the join's chunks.</summary>
internal sealed record ChunkWrites(
    long? NewChunk,
    IReadOnlyList<(JoinScope Scope, string RequestId, RequestEntry Entry)> Rows,
    IReadOnlyList<(long Seq, byte[] Dead)> Updated,
    IReadOnlyList<long> Deleted);
