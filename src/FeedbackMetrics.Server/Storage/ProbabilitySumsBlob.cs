using System.Buffers.Binary;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// A key's cumulative probability sums as one little-endian blob: count, k, log-loss sum, Brier sum, top-k hits,
/// correct, then per calibration bin its count, correct rows and confidence sum.
/// </summary>
internal static class ProbabilitySumsBlob
{
    private const int Head = 8 + 4 + 8 + 8 + 8 + 8;
    private const int Length = Head + (CalibrationBins.Count * 24);

    public static byte[] Write(ProbabilitySums sums)
    {
        var blob = new byte[Length];
        var span = blob.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(span, sums.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], sums.TopK);
        BinaryPrimitives.WriteDoubleLittleEndian(span[12..], sums.LogLossSum);
        BinaryPrimitives.WriteDoubleLittleEndian(span[20..], sums.BrierSum);
        BinaryPrimitives.WriteInt64LittleEndian(span[28..], sums.TopKHits);
        BinaryPrimitives.WriteInt64LittleEndian(span[36..], sums.Correct);
        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            var at = Head + (b * 24);
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], sums.BinCount(b));
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], sums.BinCorrect(b));
            BinaryPrimitives.WriteDoubleLittleEndian(span[(at + 16)..], sums.BinConfidence(b));
        }

        return blob;
    }

    /// <summary>Bytes of a blob (a bucket's blob embeds one).</summary>
    public const int Size = Length;

    public static ProbabilitySums Read(ReadOnlySpan<byte> span)
    {
        if (span.Length != Length)
        {
            throw new InvalidDataException($"A probability-sums blob is {Length} bytes, not {span.Length}.");
        }

        Span<long> count = stackalloc long[CalibrationBins.Count];
        Span<long> correct = stackalloc long[CalibrationBins.Count];
        Span<double> confidence = stackalloc double[CalibrationBins.Count];
        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            var at = Head + (b * 24);
            count[b] = BinaryPrimitives.ReadInt64LittleEndian(span[at..]);
            correct[b] = BinaryPrimitives.ReadInt64LittleEndian(span[(at + 8)..]);
            confidence[b] = BinaryPrimitives.ReadDoubleLittleEndian(span[(at + 16)..]);
        }

        return ProbabilitySums.FromTotals(
            BinaryPrimitives.ReadInt64LittleEndian(span),
            BinaryPrimitives.ReadInt32LittleEndian(span[8..]),
            BinaryPrimitives.ReadDoubleLittleEndian(span[12..]),
            BinaryPrimitives.ReadDoubleLittleEndian(span[20..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[28..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[36..]),
            count,
            correct,
            confidence);
    }
}
