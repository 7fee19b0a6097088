using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Benchmarks;

/// <summary>Parse and decode one feedback body: JSON → tensors → (truth, prediction) rows.</summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private readonly ClassDecoder _decoder = new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5);
    private byte[] _body = [];

    [Params(1, 100, 10_000)]
    public int Rows { get; set; }

    [Params(3, 100)]
    public int Classes { get; set; }

    [GlobalSetup]
    public void Setup() => _body = Bodies.OneHot(Rows, Classes);

    [Benchmark]
    public int Decode()
    {
        using var document = JsonDocument.Parse(_body);
        return _decoder.Decode(FeedbackPayload.Read(document.RootElement)).Rows.Length;
    }
}
