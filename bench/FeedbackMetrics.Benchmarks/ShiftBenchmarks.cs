using BenchmarkDotNet.Attributes;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Benchmarks;

/// <summary>One black-box shift estimate (an O(K³) least-squares solve) and the two PSIs, per window and read.</summary>
[MemoryDiagnoser]
public class ShiftBenchmarks
{
    private long[] _cumulative = null!;
    private long[] _windowPredicted = null!;
    private long[] _cumulativePredicted = null!;

    [Params(3, 20, 100)]
    public int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _cumulative = new long[Classes * Classes];
        _windowPredicted = new long[Classes];
        _cumulativePredicted = new long[Classes];
        for (var t = 0; t < Classes; t++)
        {
            for (var p = 0; p < Classes; p++)
            {
                _cumulative[(t * Classes) + p] = t == p ? 500 + random.Next(100) : random.Next(20);
                _cumulativePredicted[p] += _cumulative[(t * Classes) + p];
            }

            _windowPredicted[t] = random.Next(1, 50);
        }
    }

    [Benchmark]
    public ShiftMethod? EstimateShift() => ShiftEstimator.Estimate(_cumulative, Classes, _windowPredicted)?.Method;

    [Benchmark]
    public double? Psi() => FeedbackMetrics.Core.Statistics.Psi.Between(_windowPredicted, _cumulativePredicted);
}
