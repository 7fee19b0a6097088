using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Server.Storage.Sqlite;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>How a metric event is kept in the Redis outbox: as data, in the state file's record format.</summary>
internal static class ReplyBlob
{
    public static byte[] Write(MetricReply reply)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer))
        {
            RecordCodec.WriteReply(w, reply);
        }

        return buffer.ToArray();
    }

    public static MetricReply Read(byte[] blob)
    {
        using var r = new BinaryReader(new MemoryStream(blob));
        return RecordCodec.ReadReply(r);
    }
}
