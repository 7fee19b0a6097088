using System.Buffers;
using System.IO.Hashing;
using System.Text;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// A 128-bit digest (XXH128) of an event's (source, id, type), each part length-prefixed so no two distinct
/// triples share an input. Remembered ids are kept as digests: 16 bytes each in memory and on disk whatever the
/// length of the sender's ids; two distinct events collide with a probability of about n²/2¹²⁹ (10⁻²⁶ at a million ids).
/// </summary>
public static class EventHash
{
    public static UInt128 Of(CloudEventId id)
    {
        var length = Encoding.UTF8.GetMaxByteCount(id.Source.Length + id.Id.Length + id.Type.Length) + 12;
        var rented = length <= 1024 ? null : ArrayPool<byte>.Shared.Rent(length);
        var buffer = rented ?? stackalloc byte[1024];
        try
        {
            var written = 0;
            foreach (var part in (ReadOnlySpan<string>)[id.Source, id.Id, id.Type])
            {
                var size = Encoding.UTF8.GetBytes(part, buffer[(written + 4)..]);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(buffer[written..], size);
                written += 4 + size;
            }

            return XxHash128.HashToUInt128(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
