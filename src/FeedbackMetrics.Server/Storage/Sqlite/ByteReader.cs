using System.Buffers.Binary;
using System.Text;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// Reads what <see cref="BinaryWriter"/> wrote (little-endian numbers, 7-bit encoded lengths, UTF-8 strings) straight from
/// a span: the bulk paths of a start-up, where a stream and a reader per value would cost more than the values.
/// </summary>
internal ref struct ByteReader(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;

    public int Position { get; private set; }

    public int ReadInt32()
    {
        var value = BinaryPrimitives.ReadInt32LittleEndian(_bytes[Position..]);
        Position += 4;
        return value;
    }

    public long ReadInt64()
    {
        var value = BinaryPrimitives.ReadInt64LittleEndian(_bytes[Position..]);
        Position += 8;
        return value;
    }

    public ulong ReadUInt64()
    {
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_bytes[Position..]);
        Position += 8;
        return value;
    }

    /// <summary>A 7-bit encoded int, as <see cref="BinaryWriter.Write7BitEncodedInt"/> writes it (and string lengths).</summary>
    public int Read7BitEncodedInt()
    {
        uint result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = _bytes[Position++];
            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (int)result;
            }
        }

        throw new InvalidDataException("A 7-bit encoded number in the state file runs past five bytes.");
    }

    public string ReadString()
    {
        var length = Read7BitEncodedInt();
        var value = Encoding.UTF8.GetString(_bytes.Slice(Position, length));
        Position += length;
        return value;
    }

    public void Skip(int count)
    {
        _ = _bytes.Slice(Position, count);
        Position += count;
    }
}
