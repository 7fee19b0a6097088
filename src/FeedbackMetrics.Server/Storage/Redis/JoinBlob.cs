using System.Text;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using FeedbackMetrics.Server.Storage.Sqlite;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// A join entry and a deployment's join state as little-endian blobs (<see cref="BinaryWriter"/>): a version byte, then
/// the fields in order; a class is its index, or −1 and its name; times are UTC ticks; optional parts carry a flag. A
/// state of version 2 ends with what the deployment holds (<see cref="JoinHeld"/>); version 1 (schemas 5 to 7) did not.
/// </summary>
internal static class JoinBlob
{
    private const byte Version = 1;
    private const byte StateVersion = 2;

    public static byte[] Write(JoinRecord record)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8))
        {
            w.Write(Version);
            w.Write(record.Key.HasValue);
            if (record.Key is { } key)
            {
                w.Write(key.Namespace);
                w.Write(key.Deployment);
                w.Write(key.Predictor);
                w.Write(key.Model);
            }

            w.Write(record.Response is not null);
            if (record.Response is { } response)
            {
                WriteLabels(w, response.Rows);
                w.Write(response.ClassWidth);
                w.Write(response.Scores is not null);
                if (response.Scores is { } scores)
                {
                    w.Write(scores.Width);
                    w.Write(scores.Values.Length);
                    foreach (var v in scores.Values)
                    {
                        w.Write(v);
                    }
                }
            }

            w.Write(record.Truth is not null);
            if (record.Truth is { } truth)
            {
                WriteLabels(w, truth.Rows);
                w.Write(truth.ClassWidth);
            }

            w.Write(record.Reward.HasValue);
            w.Write(record.Reward ?? 0);
            w.Write(record.ResponseArrived.UtcTicks);
            w.Write(record.TruthArrived.UtcTicks);
            w.Write(record.CountedAt.UtcTicks);
            w.Write(record.LastChange.UtcTicks);
            w.Write(record.Sequence);
            w.Write(record.Counted is not null);
            if (record.Counted is { } counted)
            {
                w.Write(counted.Count);
                foreach (var (stamp, row) in counted)
                {
                    w.Write(stamp.Sequence);
                    w.Write(stamp.CountedAt.UtcTicks);
                    w.Write(row.Truth);
                    w.Write(row.Predicted);
                    w.Write(row.Probability is not { } scored ? ProbabilityCodec.Absent : scored.Ranks.IsRanked ? ProbabilityCodec.Ranked : ProbabilityCodec.Plain);
                    if (row.Probability is { } p)
                    {
                        w.Write(p.LogLoss);
                        w.Write(p.Brier);
                        w.Write(p.Confidence);
                        w.Write(p.Correct);
                        w.Write(p.TopKHit);
                        w.Write(p.TopK);
                        if (p.Ranks.IsRanked)
                        {
                            w.Write(p.Ranks);
                        }
                    }
                }
            }
        }

        return stream.ToArray();
    }

    public static JoinRecord ReadRecord(JoinScope scope, string requestId, byte[] blob)
    {
        using var r = new BinaryReader(new MemoryStream(blob), Encoding.UTF8);
        CheckVersion(r);
        MetricKey? key = r.ReadBoolean() ? new MetricKey(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString()) : null;
        DecodedResponse? response = null;
        if (r.ReadBoolean())
        {
            var rows = ReadLabels(r);
            var width = r.ReadInt32();
            ScoreRows? scores = null;
            if (r.ReadBoolean())
            {
                var scoreWidth = r.ReadInt32();
                var values = new double[r.ReadInt32()];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = r.ReadDouble();
                }

                scores = new ScoreRows(values, scoreWidth);
            }

            response = new DecodedResponse(rows, width, scores);
        }

        DecodedTruth? truth = r.ReadBoolean() ? new DecodedTruth(ReadLabels(r), r.ReadInt32()) : null;
        var hasReward = r.ReadBoolean();
        var reward = r.ReadDouble();
        var responseArrived = Time(r.ReadInt64());
        var truthArrived = Time(r.ReadInt64());
        var countedAt = Time(r.ReadInt64());
        var lastChange = Time(r.ReadInt64());
        var sequence = r.ReadInt64();
        List<CountedRow>? counted = null;
        if (r.ReadBoolean())
        {
            var count = r.ReadInt32();
            counted = new List<CountedRow>(count);
            for (var i = 0; i < count; i++)
            {
                var stamp = new RowStamp(r.ReadInt64(), Time(r.ReadInt64()));
                var t = r.ReadInt32();
                var p = r.ReadInt32();
                var flag = r.ReadByte();
                ScoredRow? scored = flag == ProbabilityCodec.Absent
                    ? null
                    : new ScoredRow(r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadBoolean(), r.ReadBoolean(), r.ReadInt32(), flag == ProbabilityCodec.Ranked ? r.ReadRankCodes() : default);
                counted.Add(new CountedRow(stamp, new WindowRow(t, p, scored)));
            }
        }

        return new JoinRecord(scope, requestId, key, response, responseArrived, truth, hasReward ? reward : null, truthArrived, countedAt, lastChange, sequence, counted);
    }

    /// <summary>The sequence number of a stored entry (schema 8 copies it to a column).</summary>
    public static long SequenceOf(byte[] blob) => ReadRecord(default, string.Empty, blob).Sequence;

    public static byte[] Write(JoinScopeState state)
    {
        var held = state.Held ?? throw new ArgumentException($"The join state of {state.Scope} does not say what it holds.", nameof(state));
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8))
        {
            w.Write(StateVersion);
            foreach (var n in state.Totals.ToArray())
            {
                w.Write(n);
            }

            foreach (var list in new[] { state.DelayCounts, state.ReliabilityRows, state.ReliabilityCorrect })
            {
                w.Write(list.Count);
                foreach (var n in list)
                {
                    w.Write(n);
                }
            }

            w.Write(state.RealizedRows);
            w.Write(state.RealizedExpected);
            w.Write(state.RealizedCorrect);
            w.Write(held.PendingResponses);
            w.Write(held.ParkedTruths);
            w.Write(held.JoinedHeld);
            w.Write(held.PendingRows.Count);
            for (var b = 0; b < held.PendingRows.Count; b++)
            {
                w.Write(held.PendingRows[b]);
                w.Write(held.PendingConfidence[b]);
            }
        }

        return stream.ToArray();
    }

    public static JoinScopeState ReadState(JoinScope scope, byte[] blob)
    {
        using var r = new BinaryReader(new MemoryStream(blob), Encoding.UTF8);
        var version = r.ReadByte();
        if (version is not (1 or StateVersion))
        {
            throw new InvalidDataException($"A join state blob of version {version}; this server reads versions 1 and {StateVersion}.");
        }

        var n = new long[JoinTotals.Length];
        for (var i = 0; i < n.Length; i++)
        {
            n[i] = r.ReadInt64();
        }

        long[] List()
        {
            var list = new long[r.ReadInt32()];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = r.ReadInt64();
            }

            return list;
        }

        var (delays, rows, correct) = (List(), List(), List());
        var state = new JoinScopeState(scope, JoinTotals.FromArray(n), delays, rows, correct, r.ReadInt64(), r.ReadDouble(), r.ReadInt64());
        if (version == 1)
        {
            return state; // schemas 5 to 7: what it holds is counted by the migration to 8
        }

        var (pending, parked, joined) = (r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
        var pendingRows = new long[r.ReadInt32()];
        var pendingConfidence = new double[pendingRows.Length];
        for (var b = 0; b < pendingRows.Length; b++)
        {
            pendingRows[b] = r.ReadInt64();
            pendingConfidence[b] = r.ReadDouble();
        }

        return state with { Held = new JoinHeld(pending, parked, joined, pendingRows, pendingConfidence) };
    }

    private static void WriteLabels(BinaryWriter w, ClassLabel[] labels)
    {
        w.Write(labels.Length);
        foreach (var label in labels)
        {
            w.Write(label.Name is null ? label.Index : -1);
            if (label.Name is { } name)
            {
                w.Write(name);
            }
        }
    }

    private static ClassLabel[] ReadLabels(BinaryReader r)
    {
        var labels = new ClassLabel[r.ReadInt32()];
        for (var i = 0; i < labels.Length; i++)
        {
            var index = r.ReadInt32();
            labels[i] = index >= 0 ? ClassLabel.OfIndex(index) : ClassLabel.OfName(r.ReadString());
        }

        return labels;
    }

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    private static void CheckVersion(BinaryReader r)
    {
        var version = r.ReadByte();
        if (version != Version)
        {
            throw new InvalidDataException($"A join blob of version {version}; this server reads version {Version}.");
        }
    }
}
