using System.Buffers.Binary;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// The rows one group commit counted for one model, as windows keep them, in one little-endian blob: per row its
/// sequence (8 bytes), when it was counted (Unix ms, 8), the positions of its true and predicted class (4 + 4) and a
/// flags byte (bit 0 scored, bit 1 top class right, bit 2 top-k hit), then for a scored row its k (4), log loss, Brier
/// term and confidence (8 each). One insert per model and group instead of one per row: a 1 000-row event costs one.
/// </summary>
internal static class WindowRowsBlob
{
    private const int Plain = 8 + 8 + 4 + 4 + 1;
    private const int ScoredExtra = 4 + 8 + 8 + 8;

    public static byte[] Write(IReadOnlyList<CountedRow> rows)
    {
        var length = 0;
        foreach (var row in rows)
        {
            length += Plain + (row.Row.Probability.HasValue ? ScoredExtra : 0);
        }

        var blob = new byte[length];
        var span = blob.AsSpan();
        foreach (var (stamp, row) in rows)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span, stamp.Sequence);
            BinaryPrimitives.WriteInt64LittleEndian(span[8..], stamp.CountedAt.ToUnixTimeMilliseconds());
            BinaryPrimitives.WriteInt32LittleEndian(span[16..], row.Truth);
            BinaryPrimitives.WriteInt32LittleEndian(span[20..], row.Predicted);
            if (row.Probability is not { } scored)
            {
                span[24] = 0;
                span = span[Plain..];
                continue;
            }

            span[24] = (byte)(1 | (scored.Correct ? 2 : 0) | (scored.TopKHit ? 4 : 0));
            BinaryPrimitives.WriteInt32LittleEndian(span[25..], scored.TopK);
            BinaryPrimitives.WriteDoubleLittleEndian(span[29..], scored.LogLoss);
            BinaryPrimitives.WriteDoubleLittleEndian(span[37..], scored.Brier);
            BinaryPrimitives.WriteDoubleLittleEndian(span[45..], scored.Confidence);
            span = span[(Plain + ScoredExtra)..];
        }

        return blob;
    }

    public static void Read(ReadOnlySpan<byte> blob, List<CountedRow> rows)
    {
        while (!blob.IsEmpty)
        {
            if (blob.Length < Plain)
            {
                throw new InvalidDataException("A window-rows blob ends inside a row.");
            }

            var stamp = new RowStamp(BinaryPrimitives.ReadInt64LittleEndian(blob), DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(blob[8..])));
            var truth = BinaryPrimitives.ReadInt32LittleEndian(blob[16..]);
            var predicted = BinaryPrimitives.ReadInt32LittleEndian(blob[20..]);
            var flags = blob[24];
            ScoredRow? scored = null;
            if ((flags & 1) != 0)
            {
                if (blob.Length < Plain + ScoredExtra)
                {
                    throw new InvalidDataException("A window-rows blob ends inside a scored row.");
                }

                scored = new ScoredRow(
                    BinaryPrimitives.ReadDoubleLittleEndian(blob[29..]),
                    BinaryPrimitives.ReadDoubleLittleEndian(blob[37..]),
                    BinaryPrimitives.ReadDoubleLittleEndian(blob[45..]),
                    (flags & 2) != 0,
                    (flags & 4) != 0,
                    BinaryPrimitives.ReadInt32LittleEndian(blob[25..]));
            }

            rows.Add(new CountedRow(stamp, new WindowRow(truth, predicted, scored)));
            blob = blob[(Plain + (scored.HasValue ? ScoredExtra : 0))..];
        }
    }
}
