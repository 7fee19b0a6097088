using BenchmarkDotNet.Attributes;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Benchmarks;

/// <summary>Per-row cost of the probabilistic figures: scoring a probability vector, and adding a scored row to running sums and taking it back.</summary>
[MemoryDiagnoser]
public class ProbabilisticBenchmarks
{
    private const int Batch = 1024;
    private readonly ProbabilitySums _sums = new();
    private double[][] _vectors = null!;
    private int[] _truths = null!;
    private ScoredRow[] _scored = null!;
    private int _k;

    [Params(2, 3, 20, 100)]
    public int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _k = TopK.DefaultFor(Classes);
        _vectors = new double[Batch][];
        _truths = new int[Batch];
        _scored = new ScoredRow[Batch];
        for (var i = 0; i < Batch; i++)
        {
            var p = Enumerable.Range(0, Classes).Select(_ => -Math.Log(1 - random.NextDouble())).ToArray();
            var sum = p.Sum();
            _vectors[i] = [.. p.Select(v => v / sum)];
            _truths[i] = random.Next(Classes);
            _scored[i] = ScoredRow.Of(_vectors[i], _truths[i], _k);
        }

        // One row stays in, so taking a row back never empties the sums (which would reset them).
        _sums.Add(_scored[0]);
    }

    /// <summary>Log loss and Brier terms, confidence and top-k hit of one vector.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public double ScoreVector()
    {
        double total = 0;
        for (var i = 0; i < Batch; i++)
        {
            total += ScoredRow.Of(_vectors[i], _truths[i], _k).LogLoss;
        }

        return total;
    }

    /// <summary>One scored row added to running sums and taken back (what a window does on add and evict).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long AddAndRemove()
    {
        foreach (ref readonly var row in _scored.AsSpan())
        {
            _sums.Add(row);
            _sums.Remove(row);
        }

        return _sums.Count;
    }
}
