using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// One chunk of join entries as the state file keeps it (<see cref="JoinChunks"/>): the deployments its entries belong
/// to, then per entry the index of its deployment, its request id, its stamp and its bytes
/// (<see cref="RecordCodec.WriteEntry"/>) behind their length. A start-up reads the ids and stamps only and keeps the
/// bytes: this object is where the join reads each entry the first time it needs it (<see cref="IStoredEntries"/>).
/// </summary>
internal sealed class JoinChunkBlob : IStoredEntries
{
    private readonly byte[] _blob;
    private readonly StringPool _names;

    private JoinChunkBlob(byte[] blob, StringPool names) => (_blob, _names) = (blob, names);

    public static void Write(BinaryWriter w, IReadOnlyList<(JoinScope Scope, string RequestId, RequestEntry Entry)> rows)
    {
        var scopes = new Dictionary<JoinScope, int>();
        foreach (var (scope, _, _) in rows)
        {
            scopes.TryAdd(scope, scopes.Count);
        }

        w.Write7BitEncodedInt(scopes.Count);
        foreach (var scope in scopes.Keys)
        {
            w.Write(scope.Namespace);
            w.Write(scope.Deployment);
        }

        w.Write7BitEncodedInt(rows.Count);
        var stream = w.BaseStream;
        foreach (var (scope, requestId, entry) in rows)
        {
            w.Write7BitEncodedInt(scopes[scope]);
            w.Write(requestId);
            w.Write(entry.Stamp);
            var lengthAt = stream.Position;
            w.Write(0);
            RecordCodec.WriteEntry(w, entry);
            var end = stream.Position;
            stream.Position = lengthAt;
            w.Write(checked((int)(end - lengthAt - sizeof(int))));
            stream.Position = end;
        }
    }

    /// <summary>How many entries a stored chunk holds, dead ones included.</summary>
    public static int Count(byte[] blob)
    {
        var r = new ByteReader(blob);
        for (var scopes = r.Read7BitEncodedInt() * 2; scopes > 0; scopes--)
        {
            r.Skip(r.Read7BitEncodedInt());
        }

        return r.Read7BitEncodedInt();
    }

    /// <summary>
    /// Reads stored chunk <paramref name="seq"/>'s ids and stamps, leaving its entries as bytes: returns every entry's id in order (dead ones,
    /// whose bit is set in <paramref name="deadBits"/>, left default), and adds each live entry and its stamp to
    /// <paramref name="live"/> and <paramref name="stamps"/>, and the live entries of each deployment to
    /// <paramref name="perScope"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (JoinScope Scope, string RequestId)[] Read(long seq, byte[] blob, byte[] deadBits, StringPool names, List<StoredEntry> live, List<long> stamps, Dictionary<JoinScope, int> perScope)
    {
        var chunk = new JoinChunkBlob(blob, names);
        var r = new ByteReader(blob);
        var scopes = new JoinScope[r.Read7BitEncodedInt()];
        for (var i = 0; i < scopes.Length; i++)
        {
            scopes[i] = new JoinScope(names.Of(r.ReadString()), names.Of(r.ReadString()));
        }

        var liveIn = new int[scopes.Length];
        var ids = new (JoinScope, string)[r.Read7BitEncodedInt()];
        var dead = new BitArray(deadBits) { Length = ids.Length };
        for (var i = 0; i < ids.Length; i++)
        {
            var s = r.Read7BitEncodedInt();
            if (dead[i])
            {
                r.Skip(r.Read7BitEncodedInt() + sizeof(long));
                r.Skip(r.ReadInt32());
                continue;
            }

            var requestId = r.ReadString();
            var stamp = r.ReadInt64();
            var length = r.ReadInt32();
            live.Add(new StoredEntry(scopes[s], requestId, chunk, r.Position, JoinChunks.Location(seq, i)));
            stamps.Add(stamp);
            r.Skip(length);
            ids[i] = (scopes[s], requestId);
            liveIn[s]++;
        }

        for (var s = 0; s < scopes.Length; s++)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(perScope, scopes[s], out _) += liveIn[s];
        }

        return ids;
    }

    public RequestEntry Read(int at)
    {
        using var r = new BinaryReader(new MemoryStream(_blob, at, _blob.Length - at, writable: false));
        lock (_names)
        {
            return RecordCodec.ReadEntry(r, _names);
        }
    }
}

/// <summary>A live join entry a start-up found in a chunk: its id, where its bytes are, and its place in the chunks (<see cref="JoinChunks.Location"/>).</summary>
internal readonly record struct StoredEntry(JoinScope Scope, string RequestId, JoinChunkBlob Chunk, int At, long Location);
