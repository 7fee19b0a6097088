using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// The values a state file keeps, little-endian through <see cref="BinaryWriter"/>: keys as their four strings, a
/// class as its index or −1 and its name, times as UTC ticks, doubles as their bits (so sums come back exactly),
/// optional parts behind a flag. Each Read mirrors its Write.
/// </summary>
internal static class ValueCodec
{
    public static void Write(this BinaryWriter w, MetricKey key)
    {
        w.Write(key.Namespace);
        w.Write(key.Deployment);
        w.Write(key.Predictor);
        w.Write(key.Model);
    }

    public static MetricKey ReadKey(this BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString());

    public static void Write(this BinaryWriter w, IReadOnlyList<SegmentValue> segments)
    {
        w.Write(segments.Count);
        foreach (var (name, value) in segments)
        {
            w.Write(name);
            w.Write(value);
        }
    }

    public static SegmentValue[] ReadSegments(this BinaryReader r)
    {
        var count = r.ReadInt32();
        if (count == 0)
        {
            return [];
        }

        var segments = new SegmentValue[count];
        for (var i = 0; i < count; i++)
        {
            segments[i] = new SegmentValue(r.ReadString(), r.ReadString());
        }

        return segments;
    }

    public static void Write(this BinaryWriter w, DateTimeOffset time) => w.Write(time.UtcTicks);

    public static DateTimeOffset ReadTime(this BinaryReader r) => new(r.ReadInt64(), TimeSpan.Zero);

    public static void Write(this BinaryWriter w, ClassLabel label)
    {
        w.Write(label.Name is null ? label.Index : -1);
        if (label.Name is { } name)
        {
            w.Write(name);
        }
    }

    public static ClassLabel ReadLabel(this BinaryReader r) => r.ReadInt32() is var index && index >= 0 ? ClassLabel.OfIndex(index) : ClassLabel.OfName(r.ReadString());

    public static void Write(this BinaryWriter w, IReadOnlyList<string> names)
    {
        w.Write(names.Count);
        foreach (var name in names)
        {
            w.Write(name);
        }
    }

    public static string[] ReadNames(this BinaryReader r)
    {
        var names = new string[r.ReadInt32()];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = r.ReadString();
        }

        return names;
    }

    public static void Write(this BinaryWriter w, ReadOnlySpan<long> values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static long[] ReadLongs(this BinaryReader r)
    {
        var values = new long[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadInt64();
        }

        return values;
    }

    public static void Write(this BinaryWriter w, ReadOnlySpan<double> values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static double[] ReadDoubles(this BinaryReader r)
    {
        var values = new double[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadDouble();
        }

        return values;
    }

    public static void WriteOptional(this BinaryWriter w, double? value)
    {
        w.Write(value.HasValue);
        if (value is { } v)
        {
            w.Write(v);
        }
    }

    public static double? ReadOptionalDouble(this BinaryReader r) => r.ReadBoolean() ? r.ReadDouble() : null;

    public static void Write(this BinaryWriter w, WindowRow row)
    {
        w.Write(row.Truth);
        w.Write(row.Predicted);
        w.Write(row.Probability);
    }

    public static WindowRow ReadWindowRow(this BinaryReader r) => new(r.ReadInt32(), r.ReadInt32(), r.ReadScored());

    public static void Write(this BinaryWriter w, CountedRow row)
    {
        w.Write(row.Stamp.Sequence);
        w.Write(row.Stamp.CountedAt);
        w.Write(row.Row);
    }

    public static CountedRow ReadCountedRow(this BinaryReader r) => new(new RowStamp(r.ReadInt64(), r.ReadTime()), r.ReadWindowRow());

    public static void Write(this BinaryWriter w, IReadOnlyList<CountedRow>? rows)
    {
        w.Write(rows?.Count ?? -1);
        foreach (var row in rows ?? [])
        {
            w.Write(row);
        }
    }

    public static CountedRow[]? ReadCountedRows(this BinaryReader r)
    {
        var count = r.ReadInt32();
        if (count < 0)
        {
            return null;
        }

        var rows = new CountedRow[count];
        for (var i = 0; i < count; i++)
        {
            rows[i] = r.ReadCountedRow();
        }

        return rows;
    }

    public static void Write(this BinaryWriter w, DecodedResponse? response)
    {
        w.Write(response is not null);
        if (response is null)
        {
            return;
        }

        w.Write(response.Rows.Length);
        foreach (var label in response.Rows)
        {
            w.Write(label);
        }

        w.Write(response.ClassWidth);
        w.Write(response.Scores is not null);
        if (response.Scores is { } scores)
        {
            w.Write(scores.Width);
            w.Write(scores.Values);
        }

        w.Write(response.ClassNames is not null);
        if (response.ClassNames is { } names)
        {
            w.Write(names);
        }
    }

    public static DecodedResponse? ReadResponse(this BinaryReader r)
    {
        if (!r.ReadBoolean())
        {
            return null;
        }

        var rows = ReadLabels(r);
        var width = r.ReadInt32();
        ScoreRows? scores = null;
        if (r.ReadBoolean())
        {
            var scoreWidth = r.ReadInt32();
            scores = new ScoreRows(r.ReadDoubles(), scoreWidth);
        }

        return new DecodedResponse(rows, width, scores) { ClassNames = r.ReadBoolean() ? r.ReadNames() : null };
    }

    public static void Write(this BinaryWriter w, DecodedTruth? truth)
    {
        w.Write(truth is not null);
        if (truth is null)
        {
            return;
        }

        w.Write(truth.Rows.Length);
        foreach (var label in truth.Rows)
        {
            w.Write(label);
        }

        w.Write(truth.ClassWidth);
    }

    public static DecodedTruth? ReadTruth(this BinaryReader r) => r.ReadBoolean() ? new DecodedTruth(ReadLabels(r), r.ReadInt32()) : null;

    public static void Write(this BinaryWriter w, Observation[] rows)
    {
        w.Write(rows.Length);
        foreach (var row in rows)
        {
            w.Write(row.Truth);
            w.Write(row.Predicted);
        }
    }

    public static Observation[] ReadObservations(this BinaryReader r)
    {
        var rows = new Observation[r.ReadInt32()];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = new Observation(r.ReadLabel(), r.ReadLabel());
        }

        return rows;
    }

    public static void Write(this BinaryWriter w, BucketState bucket)
    {
        w.Write(bucket.Index);
        w.Write(bucket.Count);
        var cells = bucket.Cells.ToList();
        w.Write(cells.Count);
        foreach (var (truth, predicted, count) in cells)
        {
            w.Write(truth);
            w.Write(predicted);
            w.Write(count);
        }

        w.Write(bucket.Probabilities);
    }

    public static BucketState ReadBucket(this BinaryReader r)
    {
        var (index, count) = (r.ReadInt64(), r.ReadInt64());
        var cells = new (int, int, long)[r.ReadInt32()];
        for (var i = 0; i < cells.Length; i++)
        {
            cells[i] = (r.ReadInt32(), r.ReadInt32(), r.ReadInt64());
        }

        return BucketState.FromTotals(index, count, cells, r.ReadSums());
    }

    public static void Write(this BinaryWriter w, AveragedFigures figures)
    {
        w.Write(figures.Precision);
        w.Write(figures.Recall);
        w.Write(figures.F1);
    }

    public static AveragedFigures ReadAveraged(this BinaryReader r) => new(r.ReadDouble(), r.ReadDouble(), r.ReadDouble());

    private static ClassLabel[] ReadLabels(BinaryReader r)
    {
        var labels = new ClassLabel[r.ReadInt32()];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = r.ReadLabel();
        }

        return labels;
    }
}
