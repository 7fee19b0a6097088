using System.Collections;
using System.Runtime.InteropServices;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// Where the snapshot keeps the join's entries: in chunks, one written per snapshot with every entry changed since
/// (appended: no random B-tree insert per entry), each with a bitmap of the entries a later version or a forget made
/// dead. A chunk none of whose entries is live is deleted; chunks kept mostly for a few live entries are compacted by
/// writing those again into the next chunk. This is the bookkeeping in memory (where each entry's stored version is);
/// <see cref="SqliteStateLog"/> does the writing.
/// </summary>
internal sealed class JoinChunks
{
    /// <summary>Entries rewritten at most per snapshot to compact, beyond those that changed.</summary>
    private const int CompactionBudget = 4096;

    // Where each live entry is stored, per deployment by request id (as the join finds them): chunk and index in one long.
    private readonly Dictionary<JoinScope, Dictionary<string, long>> _where = [];
    private readonly SortedDictionary<long, Chunk> _chunks = [];
    private long _stored;
    private int _live;

    public long NextSeq { get; private set; } = 1;

    /// <summary>Makes room for this many live entries of a deployment at once (start-up), so loading does not regrow its table.</summary>
    public void Reserve(JoinScope scope, int count) => WhereIn(scope).EnsureCapacity(count);

    /// <summary>A chunk read at start-up: its entries in order and which are dead.</summary>
    public void Loaded(long seq, (JoinScope Scope, string RequestId)[] ids, BitArray dead)
    {
        var chunk = new Chunk(ids, dead);
        (JoinScope Scope, Dictionary<string, long> Ids)? where = null;
        for (var i = 0; i < ids.Length; i++)
        {
            if (!dead[i])
            {
                var (scope, requestId) = ids[i];
                where = where is { } same && same.Scope == scope ? same : (scope, WhereIn(scope));
                Set(where.Value.Ids, requestId, seq, i);
                chunk.Live++;
            }
        }

        _chunks[seq] = chunk;
        _stored += ids.Length;
        NextSeq = Math.Max(NextSeq, seq + 1);
    }

    /// <summary>
    /// Plans one snapshot: the entries written since (as they are now), the entries forgotten since, and the join as it
    /// stands (to read the live entries of chunks being compacted). Returns the new chunk's entries (null when none),
    /// the chunks whose dead bitmap changed, and the chunks to delete.
    /// </summary>
    public ChunkWrites Plan(IReadOnlyList<(JoinScope Scope, string RequestId, RequestEntry Entry)> written, IReadOnlyList<(JoinScope Scope, string RequestId)> forgotten, JoinBook join)
    {
        var changed = new HashSet<long>();
        foreach (var (scope, requestId, _) in written)
        {
            Kill((scope, requestId), changed);
        }

        foreach (var id in forgotten)
        {
            Kill(id, changed);
        }

        var rows = new List<(JoinScope Scope, string RequestId, RequestEntry Entry)>(written);
        Compact(rows, join, changed);
        long? seq = null;
        if (rows.Count > 0)
        {
            seq = NextSeq++;
            var ids = new (JoinScope, string)[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                ids[i] = (rows[i].Scope, rows[i].RequestId);
                Set(WhereIn(rows[i].Scope), rows[i].RequestId, seq.Value, i);
            }

            _chunks[seq.Value] = new Chunk(ids, new BitArray(ids.Length)) { Live = ids.Length };
            _stored += ids.Length;
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
        _where.Clear();
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

    private void Kill((JoinScope Scope, string RequestId) id, HashSet<long> changed)
    {
        if (_where.TryGetValue(id.Scope, out var where) && where.Remove(id.RequestId, out var at))
        {
            _live--;
            var (seq, index) = (at >> 32, (int)at);
            var chunk = _chunks[seq];
            chunk.Dead[index] = true;
            chunk.Live--;
            changed.Add(seq);
        }
    }

    private void Set(Dictionary<string, long> where, string requestId, long seq, int index)
    {
        ref var at = ref CollectionsMarshal.GetValueRefOrAddDefault(where, requestId, out var held);
        at = (seq << 32) | (uint)index;
        _live += held ? 0 : 1;
    }

    private Dictionary<string, long> WhereIn(JoinScope scope)
    {
        if (!_where.TryGetValue(scope, out var where))
        {
            where = new Dictionary<string, long>(StringComparer.Ordinal);
            _where.Add(scope, where);
        }

        return where;
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
                    Kill(chunk.Ids[i], changed);
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
