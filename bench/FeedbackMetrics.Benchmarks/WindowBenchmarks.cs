using BenchmarkDotNet.Attributes;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Benchmarks;

/// <summary>
/// Per-observation cost of the default windows (last_100, 1h) of one key, with and without a probability vector, and
/// the cost of reading every window's figures (one scrape of one key).
/// </summary>
[MemoryDiagnoser]
public class WindowBenchmarks
{
    private const int Batch = 1024;
    private WindowSet _set = null!;
    private WindowRow[] _rows = null!;
    private string[] _names = null!;
    private long[] _cumulative = null!;
    private int _k;

    [Params(3, 100)]
    public int Classes { get; set; }

    [Params(false, true)]
    public bool Probabilities { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _k = TopK.DefaultFor(Classes);
        _rows = new WindowRow[Batch];
        _cumulative = new long[Classes * Classes];
        for (var i = 0; i < Batch; i++)
        {
            var p = new double[Classes];
            double sum = 0;
            for (var j = 0; j < Classes; j++)
            {
                sum += p[j] = -Math.Log(1 - random.NextDouble());
            }

            var predicted = 0;
            for (var j = 0; j < Classes; j++)
            {
                p[j] /= sum;
                predicted = p[j] > p[predicted] ? j : predicted;
            }

            var truth = random.NextDouble() < 0.7 ? predicted : random.Next(Classes);
            _rows[i] = new WindowRow(truth, predicted, Probabilities ? ScoredRow.Of(p, truth, _k) : null);
            _cumulative[(truth * Classes) + predicted] += 100;
        }

        _names = [.. Enumerable.Range(0, Classes).Select(c => $"CLASS_{c}")];

        // 10 rows a second: the 1h window's 60 buckets fill and then slide, as for a steadily busy key.
        _set = new WindowSet(WindowSpec.ParseList(WindowSpec.DefaultList), new SteppingClock(DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(100)));
        for (var i = 0; i < 36_000; i++)
        {
            _set.Add(_rows[i % Batch]);
        }
    }

    /// <summary>One observation into last_100 and 1h (its row already scored).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long AddToDefaultWindows()
    {
        long last = 0;
        foreach (ref readonly var row in _rows.AsSpan())
        {
            last = _set.Add(row).Sequence;
        }

        return last;
    }

    /// <summary>Reading both windows and computing their figure sets, shift included (per key and scrape).</summary>
    [Benchmark]
    public int ReadFigures()
    {
        var counts = _set.Read(Classes);
        return WindowSet.Figures(_set.Specs, counts, _names, _cumulative).Count;
    }
}
