using System.Buffers.Binary;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// One time-window bucket's state (<see cref="BucketState"/>) as one little-endian blob: its row count (8 bytes), the
/// number of non-zero cells (4), per cell the positions of its true and predicted class (4 + 4) and its count (8), then
/// a byte saying whether probability sums follow, and those as <see cref="ProbabilitySumsBlob"/> writes them. The
/// bucket's index is not in it: it is part of the row's key.
/// </summary>
internal static class BucketStateBlob
{
    private const int Head = 8 + 4;
    private const int Cell = 4 + 4 + 8;

    public static byte[] Write(BucketState state)
    {
        var cells = state.Cells.ToList();
        var sums = state.Probabilities is { Count: > 0 } p ? ProbabilitySumsBlob.Write(p) : null;
        var blob = new byte[Head + (cells.Count * Cell) + 1 + (sums?.Length ?? 0)];
        var span = blob.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(span, state.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], cells.Count);
        span = span[Head..];
        foreach (var (truth, predicted, count) in cells)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span, truth);
            BinaryPrimitives.WriteInt32LittleEndian(span[4..], predicted);
            BinaryPrimitives.WriteInt64LittleEndian(span[8..], count);
            span = span[Cell..];
        }

        span[0] = sums is null ? (byte)0 : (byte)1;
        sums?.CopyTo(span[1..]);
        return blob;
    }

    public static BucketState Read(long index, ReadOnlySpan<byte> blob)
    {
        if (blob.Length < Head + 1)
        {
            throw new InvalidDataException("A bucket blob is shorter than its head.");
        }

        var count = BinaryPrimitives.ReadInt64LittleEndian(blob);
        var cellCount = BinaryPrimitives.ReadInt32LittleEndian(blob[8..]);
        if (cellCount < 0 || blob.Length < Head + ((long)cellCount * Cell) + 1)
        {
            throw new InvalidDataException("A bucket blob ends inside its cells.");
        }

        var cells = new (int, int, long)[cellCount];
        var span = blob[Head..];
        for (var i = 0; i < cellCount; i++)
        {
            cells[i] = (BinaryPrimitives.ReadInt32LittleEndian(span), BinaryPrimitives.ReadInt32LittleEndian(span[4..]), BinaryPrimitives.ReadInt64LittleEndian(span[8..]));
            span = span[Cell..];
        }

        var sums = span[0] switch
        {
            0 when span.Length == 1 => null,
            1 => ProbabilitySumsBlob.Read(span[1..]),
            _ => throw new InvalidDataException("A bucket blob has a bad probability-sums flag or trailing bytes."),
        };
        return BucketState.FromTotals(index, count, cells, sums);
    }
}
