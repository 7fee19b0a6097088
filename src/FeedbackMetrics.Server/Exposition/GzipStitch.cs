using System.IO.Compression;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>
/// One gzip member (RFC 1952) stitched from raw deflate parts compressed apart: every part but the last ends with a sync
/// flush (byte-aligned, not final), so the parts read as one deflate stream, and the trailer's CRC-32 runs on from
/// one part to the next. What lets a scrape send the models' series compressed once per change with the few series
/// that change on every scrape compressed now — as one member, which every gzip reader (curl, browsers) reads whole.
/// </summary>
internal static class GzipStitch
{
    /// <summary>ID1 ID2, deflate, no flags, no time, no extra flags, OS unknown.</summary>
    public static readonly byte[] Header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

    private static readonly uint[] Table = MakeTable();

    /// <summary>Raw deflate of <paramref name="parts"/> (one part of the stream): sync flushed, or finished when <paramref name="last"/>.</summary>
    public static byte[] Deflate(IEnumerable<byte[]> parts, bool last)
    {
        using var compressed = new MemoryStream();
        var deflate = new DeflateStream(compressed, CompressionLevel.Fastest, leaveOpen: true);
        foreach (var part in parts)
        {
            deflate.Write(part);
        }

        deflate.Flush(); // a sync flush: what follows may be another compressor's blocks
        if (last)
        {
            deflate.Dispose(); // the final block
        }

        return compressed.ToArray();
    }

    /// <summary>The CRC-32 of what was summed into <paramref name="crc"/> followed by <paramref name="data"/> (0: nothing summed yet).</summary>
    public static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        foreach (var b in data)
        {
            c = Table[(c ^ b) & 0xff] ^ (c >> 8);
        }

        return ~c;
    }

    /// <summary>The member's trailer: the CRC-32 and the length (mod 2³²) of everything it holds, little-endian.</summary>
    public static byte[] Trailer(uint crc, long length)
    {
        var trailer = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4), unchecked((uint)length));
        return trailer;
    }

    /// <summary>The table of the reflected CRC-32 of gzip (polynomial 0xEDB88320).</summary>
    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
