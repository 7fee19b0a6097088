using System.Globalization;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Statistics;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// One deployment's join sums as Redis keeps them (field names in <see cref="RedisJoinScripts"/>), read from its hash,
/// and the difference two states of them make, as the apply script adds it (integers and floats apart).
/// </summary>
internal sealed class RedisJoinSums
{
    /// <summary>Label-delay buckets (see <see cref="DelayHistogram"/>): its counts have this many.</summary>
    public static readonly int DelayBuckets = new DelayHistogram().Counts().Length;

    private readonly Dictionary<string, string> _fields = new(StringComparer.Ordinal);

    public long Version => Long("v");

    public static RedisJoinSums Parse(RedisResult[] pairs)
    {
        var sums = new RedisJoinSums();
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            sums._fields[(string)pairs[i]!] = (string)pairs[i + 1]!;
        }

        return sums;
    }

    public long Long(string field) => _fields.TryGetValue(field, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : 0;

    public double Double(string field) => _fields.TryGetValue(field, out var v) ? double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture) : 0;

    /// <summary>The state as the ledger keeps it (totals, delay buckets, reliability table, realized sums).</summary>
    public JoinScopeState State(JoinScope scope) => new(
        scope,
        JoinTotals.FromArray(Enumerable.Range(0, JoinTotals.Length).Select(i => Long($"t{i}")).ToArray()),
        [.. Enumerable.Range(0, DelayBuckets).Select(b => Long($"d{b}"))],
        [.. Enumerable.Range(0, CalibrationBins.Count).Select(b => Long($"rn{b}"))],
        [.. Enumerable.Range(0, CalibrationBins.Count).Select(b => Long($"rc{b}"))],
        Long("zr"),
        Double("ze"),
        Long("zc"));

    /// <summary>Everything a replica's ledger shows of the deployment: its state with what it holds.</summary>
    public JoinScopeState Mirror(JoinScope scope)
    {
        var rows = Enumerable.Range(0, CalibrationBins.Count).Select(b => Long($"pn{b}")).ToArray();

        // Confidence sums drift by rounding as rows come and go; a bin with no pending row holds none.
        var confidence = Enumerable.Range(0, CalibrationBins.Count).Select(b => rows[b] > 0 ? Double($"pc{b}") : 0).ToArray();
        return State(scope) with { Held = new JoinHeld(Long("hr"), Long("ht"), Long("hj"), rows, confidence) };
    }

    /// <summary>
    /// The fields to raise, as integer and float (text) pairs, to go from <paramref name="before"/> to
    /// <paramref name="after"/> (states of one deployment, the ledger's) plus the entries held and pending sums given.
    /// </summary>
    public static (List<object> Integers, List<string> Floats) Delta(
        JoinScopeState before, JoinScopeState after, long[] held, long[] pendingRows, double[] pendingConfidence)
    {
        var integers = new List<object>();
        var floats = new List<string>();
        void Add(string field, long d)
        {
            if (d != 0)
            {
                integers.Add(field);
                integers.Add(d);
            }
        }

        void AddFloat(string field, double d)
        {
            if (d != 0)
            {
                floats.Add(field);
                floats.Add(d.ToString("R", CultureInfo.InvariantCulture));
            }
        }

        var (b, a) = (before.Totals.ToArray(), after.Totals.ToArray());
        for (var i = 0; i < b.Length; i++)
        {
            Add($"t{i}", a[i] - b[i]);
        }

        for (var i = 0; i < after.DelayCounts.Count; i++)
        {
            Add($"d{i}", after.DelayCounts[i] - before.DelayCounts[i]);
        }

        for (var i = 0; i < CalibrationBins.Count; i++)
        {
            Add($"rn{i}", after.ReliabilityRows[i] - before.ReliabilityRows[i]);
            Add($"rc{i}", after.ReliabilityCorrect[i] - before.ReliabilityCorrect[i]);
            Add($"pn{i}", pendingRows[i]);
            AddFloat($"pc{i}", pendingConfidence[i]);
        }

        Add("zr", after.RealizedRows - before.RealizedRows);
        AddFloat("ze", after.RealizedExpected - before.RealizedExpected);
        Add("zc", after.RealizedCorrect - before.RealizedCorrect);
        Add("hr", held[0]);
        Add("ht", held[1]);
        Add("hj", held[2]);
        return (integers, floats);
    }
}
