using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Server.Storage.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// The whole state as a list of blobs (a shared log's snapshot): the outbox sequence, every model's image, the class
/// names, every deployment's join counts, every join entry (oldest change first), every remembered id (in the order they
/// were remembered). Each blob holds whole records and starts with the format's version byte; <see cref="Read"/> fills
/// a cleared state from them in order.
/// </summary>
internal static class StateImage
{
    private const byte Format = 1;

    /// <summary>About how large a blob grows before the next begins (a Redis value read or written in one call).</summary>
    private const int ChunkBytes = 256 * 1024;

    private enum Kind : byte
    {
        OutboxSequence = 1,
        Model = 2,
        ClassNames = 3,
        Scope = 4,
        Entry = 5,
        Id = 6,
    }

    public static List<byte[]> Write(EngineState state)
    {
        var chunks = new List<byte[]>();
        var buffer = new MemoryStream();
        var w = new BinaryWriter(buffer);
        w.Write(Format);

        void Next()
        {
            if (buffer.Length < ChunkBytes)
            {
                return;
            }

            w.Flush();
            chunks.Add(buffer.ToArray());
            buffer.SetLength(0);
            w.Write(Format);
        }

        w.Write((byte)Kind.OutboxSequence);
        w.Write(state.OutboxSequence);
        foreach (var model in state.Models.Aggregates)
        {
            w.Write((byte)Kind.Model);
            RecordCodec.WriteModel(w, model.Export());
            Next();
        }

        foreach (var (key, names) in state.Models.ClassNames.All())
        {
            w.Write((byte)Kind.ClassNames);
            w.Write(key);
            w.Write(names);
            Next();
        }

        foreach (var scope in state.Join.States())
        {
            w.Write((byte)Kind.Scope);
            RecordCodec.WriteScope(w, scope);
            Next();
        }

        foreach (var (scope, requestId, entry) in state.Join.Entries())
        {
            w.Write((byte)Kind.Entry);
            w.Write(scope.Namespace);
            w.Write(scope.Deployment);
            w.Write(requestId);
            RecordCodec.WriteEntry(w, entry);
            Next();
        }

        foreach (var (hash, expiresAt) in state.Ids.Remembered())
        {
            w.Write((byte)Kind.Id);
            w.Write((ulong)(hash >> 64));
            w.Write((ulong)hash);
            w.Write(expiresAt);
            Next();
        }

        w.Flush();
        if (buffer.Length > 1)
        {
            chunks.Add(buffer.ToArray());
        }

        return chunks;
    }

    /// <summary>Fills <paramref name="state"/> (cleared by the caller) from the blobs <see cref="Write"/> gave, ids judged at <paramref name="now"/> (Unix ms).</summary>
    public static void Read(IEnumerable<byte[]> chunks, EngineState state, long now)
    {
        var names = new StringPool();
        foreach (var chunk in chunks)
        {
            using var r = new BinaryReader(new MemoryStream(chunk));
            if (r.ReadByte() != Format)
            {
                throw new StateFileException("The snapshot in Redis was written by another version of this server: start with a fresh --redis_prefix (or an empty Redis).");
            }

            while (r.BaseStream.Position < r.BaseStream.Length)
            {
                switch ((Kind)r.ReadByte())
                {
                    case Kind.OutboxSequence:
                        state.RestoreOutboxSequence(r.ReadInt64());
                        break;
                    case Kind.Model:
                        var image = RecordCodec.ReadModel(r);
                        state.Models.GetOrCreate(image.Key).Restore(image);
                        break;
                    case Kind.ClassNames:
                        state.RestoreClassNames(r.ReadKey(), r.ReadNames());
                        break;
                    case Kind.Scope:
                        state.Join.Restore(RecordCodec.ReadScope(r));
                        break;
                    case Kind.Entry:
                        var scope = new JoinScope(names.Of(r.ReadString()), names.Of(r.ReadString()));
                        var requestId = r.ReadString();
                        state.Join.Restore(scope, requestId, RecordCodec.ReadEntry(r, names));
                        break;
                    case Kind.Id:
                        state.RestoreId(new UInt128(r.ReadUInt64(), r.ReadUInt64()), r.ReadInt64(), now);
                        break;
                    default:
                        throw new StateFileException("The snapshot in Redis holds a record this server does not know: start with a fresh --redis_prefix (or an empty Redis).");
                }
            }
        }
    }
}
