using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>Start-up: the snapshot's parts, then the journal after it.</summary>
public sealed partial class SqliteStateLog
{
    private void LoadModels(EngineState state)
    {
        foreach (var blob in Blobs("SELECT image FROM models;"))
        {
            var image = Decode(blob, RecordCodec.ReadModel);
            state.Models.GetOrCreate(image.Key).Restore(image);
        }

        foreach (var blob in Blobs("SELECT names FROM class_names;"))
        {
            using var r = new BinaryReader(new MemoryStream(blob));
            state.RestoreClassNames(r.ReadKey(), r.ReadNames());
        }
    }

    private void LoadJoin(EngineState state)
    {
        foreach (var blob in Blobs("SELECT state FROM join_scopes;"))
        {
            state.Join.Restore(Decode(blob, RecordCodec.ReadScope));
        }

        var stored = new List<(long Seq, byte[] Entries, byte[] Dead)>();
        using (var command = _connection!.CreateCommand())
        {
            command.CommandText = "SELECT seq, entries, dead FROM join_chunks ORDER BY seq;";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                stored.Add((reader.GetInt64(0), (byte[])reader[1], (byte[])reader[2]));
            }
        }

        // Each live entry's id and stamp; its bytes stay in its chunk until the join first reads it.
        var rows = stored.Sum(chunk => JoinChunkBlob.Count(chunk.Entries) - PopCount(chunk.Dead));
        var entries = new List<StoredEntry>(rows);
        var stamps = new List<long>(rows);
        var perScope = new Dictionary<JoinScope, int>();
        var names = new StringPool();
        var ids = new (JoinScope, string)[stored.Count][];
        for (var i = 0; i < stored.Count; i++)
        {
            ids[i] = JoinChunkBlob.Read(stored[i].Seq, stored[i].Entries, stored[i].Dead, names, entries, stamps, perScope);
        }

        // Which entries of each chunk are live; the join's tables sized once.
        foreach (var (scope, count) in perScope)
        {
            state.Join.Reserve(scope, count);
        }

        for (var i = 0; i < stored.Count; i++)
        {
            _chunks.Loaded(stored[i].Seq, ids[i], BitsOf(stored[i].Dead, ids[i].Length));
        }

        // In stamp order (the order they expire in): each chunk is written in stamp order, so they often come sorted
        // already (no entry rewritten since); else the stamps are sorted with each entry's index, not a comparison per
        // pair or the entries themselves moved.
        var order = new int[entries.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (!IsSorted(CollectionsMarshal.AsSpan(stamps)))
        {
            CollectionsMarshal.AsSpan(stamps).Sort(order.AsSpan());
        }

        RestoreEntries(state.Join, entries, stamps, order);
    }

    private static bool IsSorted(ReadOnlySpan<long> values)
    {
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] < values[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RestoreEntries(JoinBook join, List<StoredEntry> entries, List<long> stamps, int[] order)
    {
        for (var i = 0; i < order.Length; i++)
        {
            var (scope, requestId, chunk, at, location) = entries[order[i]];
            join.Restore(scope, requestId, stamps[i], chunk, at, location);
        }
    }

    private static int PopCount(byte[] bits)
    {
        var count = 0;
        foreach (var b in bits)
        {
            count += System.Numerics.BitOperations.PopCount(b);
        }

        return count;
    }

    private void LoadIds(EngineState state)
    {
        using var command = _connection!.CreateCommand();
        state.Ids.Reserve((int)Math.Min(int.MaxValue, SqliteSchema.Scalar(_connection, "SELECT coalesce(sum(length(ids) / 24), 0) FROM id_chunks;")));
        command.CommandText = "SELECT seq, ids FROM id_chunks ORDER BY seq;";
        using var reader = command.ExecuteReader();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        while (reader.Read())
        {
            var seq = reader.GetInt64(0);
            RestoreIds(state, (byte[])reader[1], now);
            _idChunks.Add((state.IdSequence, seq));
            _nextIdChunk = seq + 1;
        }
    }

    /// <summary>A chunk of remembered ids: their count, then each id's digest and expiry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RestoreIds(EngineState state, byte[] chunk, long now)
    {
        var r = new ByteReader(chunk);
        for (var n = r.ReadInt32(); n > 0; n--)
        {
            state.RestoreId(new UInt128(r.ReadUInt64(), r.ReadUInt64()), r.ReadInt64(), now);
        }
    }

    private SortedDictionary<long, MetricReply> LoadOutbox()
    {
        var outbox = new SortedDictionary<long, MetricReply>();
        using var command = _connection!.CreateCommand();
        command.CommandText = "SELECT seq, reply FROM outbox ORDER BY seq;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            outbox[reader.GetInt64(0)] = Decode((byte[])reader[1], RecordCodec.ReadReply);
        }

        return outbox;
    }

    private IEnumerable<(long Seq, ChangeSet Changes)> Journal()
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = "SELECT seq, changes FROM journal WHERE seq > $after ORDER BY seq;";
        command.Parameters.AddWithValue("$after", _snapshotThrough);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return (reader.GetInt64(0), Decode((byte[])reader[1], RecordCodec.ReadChangeSet));
        }
    }

    private List<byte[]> Blobs(string sql)
    {
        var blobs = new List<byte[]>();
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            blobs.Add((byte[])reader[0]);
        }

        return blobs;
    }

    private static T Decode<T>(byte[] blob, Func<BinaryReader, T> read)
    {
        using var r = new BinaryReader(new MemoryStream(blob));
        return read(r);
    }
}
