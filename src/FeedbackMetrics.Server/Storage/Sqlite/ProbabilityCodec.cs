using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// The probabilistic values a state file keeps (<see cref="ValueCodec"/>'s conventions): a scored row and a set of
/// probability sums, with their threshold-free parts, a row's rank codes and the sums' rank histograms, exactly (counts
/// as 7-bit varints, so a histogram of small counts takes a few bytes a bin). A scored row or a set of sums written
/// before rank parts existed carries flag 1 instead of 2 and comes back without them (not ranked).
/// </summary>
internal static class ProbabilityCodec
{
    /// <summary>The flag of a scored row or of sums: absent, present without rank parts, present with them.</summary>
    public const byte Absent = 0, Plain = 1, Ranked = 2;

    public static void Write(this BinaryWriter w, ScoredRow? scored)
    {
        w.Write(scored is null ? Absent : scored.Value.Ranks.IsRanked ? Ranked : Plain);
        if (scored is { } s)
        {
            w.Write(s.LogLoss);
            w.Write(s.Brier);
            w.Write(s.Confidence);
            w.Write((byte)((s.Correct ? 1 : 0) | (s.TopKHit ? 2 : 0)));
            w.Write(s.TopK);
            if (s.Ranks.IsRanked)
            {
                w.Write(s.Ranks);
            }
        }
    }

    public static ScoredRow? ReadScored(this BinaryReader r)
    {
        var flag = r.ReadByte();
        if (flag == Absent)
        {
            return null;
        }

        var (logLoss, brier, confidence, flags, k) = (r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadByte(), r.ReadInt32());
        return new ScoredRow(logLoss, brier, confidence, (flags & 1) != 0, (flags & 2) != 0, k, flag == Ranked ? r.ReadRankCodes() : default);
    }

    public static void Write(this BinaryWriter w, ProbabilitySums? sums)
    {
        w.Write(sums is not { Count: > 0 } ? Absent : sums.Ranks is null ? Plain : Ranked);
        if (sums is not { Count: > 0 } s)
        {
            return;
        }

        w.Write(s.Count);
        w.Write(s.TopK);
        w.Write(s.LogLossSum);
        w.Write(s.BrierSum);
        w.Write(s.TopKHits);
        w.Write(s.Correct);
        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            w.Write(s.BinCount(b));
            w.Write(s.BinCorrect(b));
            w.Write(s.BinConfidence(b));
        }

        if (s.Ranks is { } ranks)
        {
            w.Write(s.RankBudget);
            w.Write(ranks);
        }
    }

    public static ProbabilitySums? ReadSums(this BinaryReader r)
    {
        var flag = r.ReadByte();
        if (flag == Absent)
        {
            return null;
        }

        var (count, topK, logLoss, brier, hits, correct) = (r.ReadInt64(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadInt64(), r.ReadInt64());
        Span<long> binCount = stackalloc long[CalibrationBins.Count];
        Span<long> binCorrect = stackalloc long[CalibrationBins.Count];
        Span<double> binConfidence = stackalloc double[CalibrationBins.Count];
        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            (binCount[b], binCorrect[b], binConfidence[b]) = (r.ReadInt64(), r.ReadInt64(), r.ReadDouble());
        }

        if (flag != Ranked)
        {
            return ProbabilitySums.FromTotals(count, topK, logLoss, brier, hits, correct, binCount, binCorrect, binConfidence);
        }

        var budget = r.ReadInt32();
        return ProbabilitySums.FromTotals(count, topK, logLoss, brier, hits, correct, binCount, binCorrect, binConfidence, r.ReadRankSums(budget), budget);
    }

    public static void Write(this BinaryWriter w, in RankCodes ranks)
    {
        w.Write((byte)ranks.Width);
        w.Write((byte)ranks.Truth);
        w.Write((byte)ranks.Step);
        for (var i = 0; i < ranks.Ranked; i++)
        {
            w.Write(ranks.Code(i));
        }
    }

    public static RankCodes ReadRankCodes(this BinaryReader r)
    {
        var (width, truth, step) = (r.ReadByte(), r.ReadByte(), r.ReadByte());
        Span<uint> codes = stackalloc uint[width == 2 ? 1 : width];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = r.ReadUInt32();
        }

        return RankCodes.FromStored(width, truth, codes, step);
    }

    public static void Write(this BinaryWriter w, RankSums ranks)
    {
        w.Write((byte)ranks.Width);
        w.Write7BitEncodedInt64(ranks.Ranked);
        foreach (var histogram in ranks.Histograms)
        {
            w.Write((byte)histogram.Level);
            w.Write7BitEncodedInt(histogram.Count);
            var previous = 0u;
            for (var i = 0; i < histogram.Count; i++)
            {
                // Bins are in order: each as its distance from the one before, a byte or two when they are close.
                w.Write7BitEncodedInt64(histogram.Bin(i) - previous);
                w.Write7BitEncodedInt64(histogram.Positives(i));
                w.Write7BitEncodedInt64(histogram.Negatives(i));
                previous = histogram.Bin(i);
            }
        }

        foreach (var count in ranks.Steps)
        {
            w.Write7BitEncodedInt64(count);
        }
    }

    public static RankSums ReadRankSums(this BinaryReader r, int budget)
    {
        var (width, ranked) = (r.ReadByte(), r.Read7BitEncodedInt64());
        var histograms = new RankHistogram[width == 2 ? 1 : width];
        for (var h = 0; h < histograms.Length; h++)
        {
            var (level, count) = (r.ReadByte(), r.Read7BitEncodedInt());
            if (count < 0 || count > budget)
            {
                throw new InvalidDataException($"A stored rank histogram holds {count} bins; at most {budget} are kept.");
            }

            var (bins, positives, negatives) = (new uint[count], new long[count], new long[count]);
            var previous = 0u;
            for (var i = 0; i < count; i++)
            {
                previous = bins[i] = checked(previous + (uint)r.Read7BitEncodedInt64());
                (positives[i], negatives[i]) = (r.Read7BitEncodedInt64(), r.Read7BitEncodedInt64());
            }

            histograms[h] = RankHistogram.FromBins(Math.Max(4, count), level, bins, positives, negatives);
        }

        var steps = new long[width == 2 ? 2 * (ScoreCodes.Thresholds + 1) : 0];
        for (var s = 0; s < steps.Length; s++)
        {
            steps[s] = r.Read7BitEncodedInt64();
        }

        return RankSums.FromStored(width, budget, ranked, histograms, steps);
    }
}
