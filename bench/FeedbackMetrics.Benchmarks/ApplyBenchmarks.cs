using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Payloads;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Benchmarks;

/// <summary>
/// Apply one decoded event to a key's running state, with the server's default windows (last_100, 1h) and its
/// probability vectors scored, and the summary the reply carries.
/// </summary>
[MemoryDiagnoser]
public class ApplyBenchmarks
{
    private static readonly MetricKey Key = new("ns", "deployment", "predictor", "model");
    private readonly MetricsBook _book = new(10_000, 1000, WindowSpec.ParseList(WindowSpec.DefaultList), TimeProvider.System);
    private DecodedFeedback _feedback = null!;

    [Params(1, 100)]
    public int Rows { get; set; }

    [Params(3, 100)]
    public int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using var document = JsonDocument.Parse(Bodies.OneHot(Rows, Classes));
        _feedback = new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5).Decode(FeedbackPayload.Read(document.RootElement));
        _book.Apply(Key, _feedback);
    }

    [Benchmark]
    public long Apply() => _book.Apply(Key, _feedback).Count;

    [Benchmark]
    public double ApplyAndSummarize() => MetricsCalculator.Summarize(_book.Apply(Key, _feedback)).Accuracy;
}
