using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The figures every replica shares besides the cumulative matrix: the probability sums, the count windows' rows and
/// the time windows' buckets (<c>--windows</c>). What a request adds to them is worked out here, per event, and written
/// by the apply script (<see cref="RedisScripts.SharedFunctions"/>); what Redis holds is read back with a model's
/// state and replaces what a replica's windows hold, so every replica shows the same windows.
/// </summary>
/// <remarks>
/// In Redis, under a model's key prefix: <c>prob</c> a hash of the cumulative probability sums (<c>k</c> the top-k they
/// are scored with, <c>pn</c> rows, <c>ph</c> top-k hits, <c>po</c> correct, <c>pl</c>/<c>pb</c> the log-loss and
/// Brier sums, per calibration bin B <c>pcB</c> rows, <c>pkB</c> correct, <c>pfB</c> confidence sum, and the rank
/// histograms of <see cref="RedisRankSums"/>); <c>rows</c> a list of the latest rows (as many as the largest count
/// window), each "sequence|truth,predicted|scores" (the scores with the row's rank codes);
/// <c>tw:NAME</c> a sorted set of a time window's bucket indices and <c>tw:NAME:INDEX</c> a bucket (<c>n</c> rows, cells
/// "t,p", and the sums as in <c>prob</c>); <c>tws</c> the names of the time windows kept; <c>s</c> in meta the
/// sequence the next row gets. A joined request's entry keeps <c>w</c>, "sequence;NAME=INDEX;…": where its rows were
/// counted, so that a relabel through any replica moves them in every window they are still in.
/// </remarks>
internal sealed class RedisSharedFigures(IReadOnlyList<WindowSpec> specs)
{
    /// <summary>The rows the list keeps: as many as the largest count window (0: none kept).</summary>
    public int CountRows { get; } = specs.Where(s => s.Kind == WindowKind.Count).Select(s => s.Rows).DefaultIfEmpty(0).Max();

    /// <summary>The request's windows for the apply script: <c>w: {c: rows kept, t: [{n: name, i: bucket index now, b: buckets}]}</c>.</summary>
    public void WriteHeader(Utf8JsonWriter json, DateTimeOffset now)
    {
        if (specs.Count == 0)
        {
            return;
        }

        json.WriteStartObject("w");
        json.WriteNumber("c", CountRows);
        json.WriteStartArray("t");
        foreach (var spec in specs.Where(s => s.Kind == WindowKind.Time))
        {
            json.WriteStartObject();
            json.WriteString("n", spec.Name);
            json.WriteNumber("i", spec.BucketIndex(now));
            json.WriteNumber("b", spec.Buckets);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>What the Read script needs to read the time windows at <paramref name="now"/>: per window its name and its oldest bucket index.</summary>
    public string ReadArgument(DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var spec in specs.Where(s => s.Kind == WindowKind.Time))
            {
                json.WriteStartObject();
                json.WriteString("n", spec.Name);
                json.WriteNumber("lo", spec.BucketIndex(now) - spec.Buckets + 1);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// An event's part: <c>cr</c> its rows as (truth, predicted) indices into its class names and their scores as
    /// text; and when a row is scored, <c>k</c> and the sums it adds (<c>pi</c> integers, <c>pf</c> doubles, as
    /// field/delta pairs). A relabel's rows are the new ones and its sums take the old rows' scores back.
    /// </summary>
    public static void WriteEvent(Utf8JsonWriter json, DecodedFeedback feedback, DecodedFeedback? replaced, IReadOnlyDictionary<string, int> index, int topK)
    {
        var k = topK > 0 ? topK : TopK.DefaultFor(feedback.Scores?.Width ?? 0);
        var delta = new SumsDelta();
        var ranks = new RedisRankSums();
        json.WriteStartArray("cr");
        for (var i = 0; i < feedback.Rows.Length; i++)
        {
            var row = feedback.Rows[i];
            json.WriteNumberValue(index[row.Truth.DisplayName]);
            json.WriteNumberValue(index[row.Predicted.DisplayName]);
            if (ScoredRow.TryScore(feedback.Scores, i, row.Truth, k, out var scored))
            {
                delta.Add(scored, 1);
                ranks.Add(scored.Ranks, 1);
                json.WriteStringValue(RowText(scored));
            }
            else
            {
                json.WriteStringValue(string.Empty);
            }

            if (replaced is not null && ScoredRow.TryScore(feedback.Scores, i, replaced.Rows[i].Truth, k, out var before))
            {
                delta.Add(before, -1);
                ranks.Add(before.Ranks, -1);
            }
        }

        json.WriteEndArray();
        if (delta.Touched)
        {
            json.WriteNumber("k", k);
            delta.Write(json);
            ranks.Write(json);
        }
    }

    /// <summary>A model's shared figures as the Read script returns them: sums, rows, next sequence, time windows' buckets.</summary>
    public static RedisShared Parse(RedisResult[] sums, RedisResult[] rows, string nextSequence, RedisResult[] windows)
    {
        var probabilities = Pairs(sums);
        var k = probabilities.TryGetValue("k", out var kText) ? int.Parse(kText, CultureInfo.InvariantCulture) : 0;
        var counted = new List<CountedRow>(rows.Length);
        foreach (var text in rows.Select(r => (string)r!))
        {
            var parts = text.Split('|');
            var cell = parts[1].Split(',');
            ScoredRow? scored = null;
            if (k > 0 && parts[2].Length > 0)
            {
                var s = parts[2].Split(',');
                scored = new ScoredRow(Number(s[0]), Number(s[1]), Number(s[2]), s[3] == "1", s[4] == "1", k, s.Length > 5 ? Ranks(s) : default);
            }

            var stamp = new RowStamp(long.Parse(parts[0], CultureInfo.InvariantCulture), DateTimeOffset.MinValue);
            counted.Add(new CountedRow(stamp, new WindowRow(Int(cell[0]), Int(cell[1]), scored)));
        }

        var buckets = new List<(string, BucketState)>();
        for (var w = 0; w + 1 < windows.Length; w += 2)
        {
            var name = (string)windows[w]!;
            var list = (RedisResult[])windows[w + 1]!;
            for (var b = 0; b + 1 < list.Length; b += 2)
            {
                var fields = Pairs((RedisResult[])list[b + 1]!);
                var cells = fields.Where(f => f.Key.Contains(',', StringComparison.Ordinal)).Select(f =>
                {
                    var comma = f.Key.IndexOf(',', StringComparison.Ordinal);
                    return (Int(f.Key[..comma]), Int(f.Key[(comma + 1)..]), long.Parse(f.Value, CultureInfo.InvariantCulture));
                });
                var count = fields.TryGetValue("n", out var n) ? long.Parse(n, CultureInfo.InvariantCulture) : 0;
                buckets.Add((name, BucketState.FromTotals(long.Parse((string)list[b]!, CultureInfo.InvariantCulture), count, cells, Sums(fields, k))));
            }
        }

        return new RedisShared(Sums(probabilities, k), counted, buckets, long.Parse(nextSequence, CultureInfo.InvariantCulture));
    }

    /// <summary>A scored row as the list keeps it: its terms, then, when ranked, its width, truth index, step and codes ("c0;c1;…").</summary>
    private static string RowText(in ScoredRow row)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{row.LogLoss:R},{row.Brier:R},{row.Confidence:R},{(row.Correct ? 1 : 0)},{(row.TopKHit ? 1 : 0)}");
        var ranks = row.Ranks;
        if (!ranks.IsRanked)
        {
            return text;
        }

        var codes = new string[ranks.Ranked];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = ranks.Code(i).ToString(CultureInfo.InvariantCulture);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{text},{ranks.Width},{ranks.Truth},{ranks.Step},{string.Join(';', codes)}");
    }

    private static RankCodes Ranks(string[] s) =>
        RankCodes.FromStored(Int(s[5]), Int(s[6]), [.. s[8].Split(';').Select(c => uint.Parse(c, CultureInfo.InvariantCulture))], Int(s[7]));

    private static ProbabilitySums? Sums(Dictionary<string, string> fields, int k)
    {
        long Long(string name) => fields.TryGetValue(name, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : 0;
        double Double(string name) => fields.TryGetValue(name, out var v) ? Number(v) : 0;
        var count = Long("pn");
        if (count <= 0 || k <= 0)
        {
            return null;
        }

        var bins = Enumerable.Range(0, CalibrationBins.Count).ToArray();
        return ProbabilitySums.FromTotals(
            count, k, Double("pl"), Double("pb"), Long("ph"), Long("po"),
            [.. bins.Select(b => Long($"pc{b}"))], [.. bins.Select(b => Long($"pk{b}"))], [.. bins.Select(b => Double($"pf{b}"))],
            RedisRankSums.Parse(fields, count, RankHistogram.DefaultBudget));
    }

    private static Dictionary<string, string> Pairs(RedisResult[] pairs)
    {
        var map = new Dictionary<string, string>(pairs.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            map[(string)pairs[i]!] = (string)pairs[i + 1]!;
        }

        return map;
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>What an event's scored rows add to (and, for a relabel, take from) a set of probability sums.</summary>
    private sealed class SumsDelta
    {
        private readonly long[] _binRows = new long[CalibrationBins.Count];
        private readonly long[] _binCorrect = new long[CalibrationBins.Count];
        private readonly double[] _binConfidence = new double[CalibrationBins.Count];
        private readonly bool[] _binTouched = new bool[CalibrationBins.Count];
        private long _rows;
        private long _hits;
        private long _correct;
        private double _logLoss;
        private double _brier;

        public bool Touched { get; private set; }

        public void Add(in ScoredRow row, int sign)
        {
            var bin = CalibrationBins.Of(row.Confidence);
            Touched = true;
            _binTouched[bin] = true;
            _rows += sign;
            _hits += row.TopKHit ? sign : 0;
            _correct += row.Correct ? sign : 0;
            _logLoss += sign * row.LogLoss;
            _brier += sign * row.Brier;
            _binRows[bin] += sign;
            _binCorrect[bin] += row.Correct ? sign : 0;
            _binConfidence[bin] += sign * row.Confidence;
        }

        public void Write(Utf8JsonWriter json)
        {
            json.WriteStartArray("pi");
            Int("pn", _rows);
            Int("ph", _hits);
            Int("po", _correct);
            for (var b = 0; b < CalibrationBins.Count; b++)
            {
                Int($"pc{b}", _binRows[b]);
                Int($"pk{b}", _binCorrect[b]);
            }

            json.WriteEndArray();
            json.WriteStartArray("pf");
            Float("pl", _logLoss);
            Float("pb", _brier);
            for (var b = 0; b < CalibrationBins.Count; b++)
            {
                if (_binTouched[b])
                {
                    Float($"pf{b}", _binConfidence[b]);
                }
            }

            json.WriteEndArray();

            void Int(string field, long value)
            {
                if (value != 0)
                {
                    json.WriteStringValue(field);
                    json.WriteNumberValue(value);
                }
            }

            void Float(string field, double value)
            {
                json.WriteStringValue(field);
                json.WriteStringValue(value.ToString("R", CultureInfo.InvariantCulture));
            }
        }
    }
}

/// <summary>A model's shared figures as read from Redis: cumulative probability sums, count windows' rows, time windows' buckets, the next row's sequence.</summary>
internal sealed record RedisShared(ProbabilitySums? Probabilities, IReadOnlyList<CountedRow> Rows, IReadOnlyList<(string Window, BucketState State)> Buckets, long NextSequence);
