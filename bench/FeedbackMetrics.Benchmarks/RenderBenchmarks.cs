using System.IO.Pipelines;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Payloads;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Exposition;
using FeedbackMetrics.Server.Hosting;

namespace FeedbackMetrics.Benchmarks;

/// <summary>Render GET /v1/metrics with 1 000 keys of 3 classes: Prometheus text when every key changed since the last scrape, when none did, and the JSON view of unchanged keys.</summary>
[MemoryDiagnoser]
public class RenderBenchmarks
{
    private const int Keys = 1000;
    private readonly MetricsBook _book = new(100_000, 1000, FeedbackMetrics.Core.Windows.WindowSpec.ParseList(FeedbackMetrics.Core.Windows.WindowSpec.DefaultList), TimeProvider.System);
    private readonly MemoryStream _output = new();
    private DomainExposition _exposition = null!;
    private JsonView _json = null!;
    private DecodedFeedback _feedback = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var document = JsonDocument.Parse(Bodies.OneHot(5, 3));
        _feedback = new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5).Decode(FeedbackPayload.Read(document.RootElement));
        for (var k = 0; k < Keys; k++)
        {
            _book.Apply(KeyOf(k), _feedback);
        }

        var engine = new FeedbackEngine(new EngineState(_book, new JoinBook(), new DedupeWindow(TimeSpan.FromHours(1), 10, TimeProvider.System)), Core.Join.JoinLimits.Default, TimeProvider.System);
        var store = new FeedbackMetrics.Server.Storage.EngineStore(engine, new FeedbackMetrics.Server.Storage.MemoryStateLog(), (false, 1), TimeProvider.System, Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()), Microsoft.Extensions.Logging.Abstractions.NullLogger<FeedbackMetrics.Server.Storage.EngineStore>.Instance);
        var readiness = new Readiness(store);
        readiness.MarkRestored();
        var decoders = new DecoderSelector(new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5), 1000, []);
        _exposition = new DomainExposition(_book, readiness, decoders, "io.seldon.serving.feedback.metrics", new DedupeHorizon(store, Microsoft.Extensions.Options.Options.Create(new FeedbackMetrics.Server.Options.StateOptions()), TimeProvider.System), ClassDisplay.Stored, 50, new FeedbackMetrics.Server.Alerts.AlertBoard());
        _json = new JsonView(_book, ClassDisplay.Stored, new JoinBook());
        Render();
    }

    [IterationSetup(Target = nameof(PrometheusAllKeysChanged))]
    public void TouchEveryKey()
    {
        for (var k = 0; k < Keys; k++)
        {
            _book.Apply(KeyOf(k), _feedback);
        }
    }

    [Benchmark]
    public long PrometheusAllKeysChanged() => Render();

    [Benchmark]
    public long PrometheusNoKeyChanged() => Render();

    /// <summary>The JSON view of unchanged keys (each model's object serialised once, then copied).</summary>
    [Benchmark]
    public long Json()
    {
        _output.SetLength(0);
        var pipe = PipeWriter.Create(_output, new StreamPipeWriterOptions(leaveOpen: true));
        _json.WriteAsync(pipe, _ => true, null, null, CancellationToken.None).GetAwaiter().GetResult();
        pipe.Complete();
        return _output.Length;
    }

    private static MetricKey KeyOf(int k) => new("ns", $"deployment-{k}", "default", "model");

    private long Render()
    {
        _output.SetLength(0);
        _exposition.WriteAsync(_output, [], gzip: false, CancellationToken.None).GetAwaiter().GetResult();
        return _output.Length;
    }
}
