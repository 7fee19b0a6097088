using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Payloads;
using FeedbackMetrics.Core.ReadModel;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

/// <summary>What a pending response costs in memory with <c>--state memory</c>: the engine's join holds every entry.</summary>
[Category("Load")]
public sealed class JoinMemoryTests
{
    /// <summary>
    /// A bound on one pending response of one row with a 3-class probability vector and a 36-character request id, its
    /// remembered event id left out; docs/join.md states the figure measured here.
    /// </summary>
    private const int BytesPerPendingResponse = 650;

    [Test]
    public void A_pending_response_costs_at_most_the_documented_bytes()
    {
        const int Count = 200_000;
        const int PerGroup = 1000;
        var clock = new FakeTimeProvider();
        var decoder = new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5);
        var key = new MetricKey("seldon", "iris", "default", "classifier");
        var join = new JoinBook();
        var engine = new FeedbackEngine(new EngineState(new MetricsBook(10, 10), join, new DedupeWindow(TimeSpan.FromHours(1), 1, clock)), new JoinLimits(JoinLimits.DefaultTtl, Count), clock);
        var random = new Random(3);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Count; i += PerGroup)
        {
            var group = Enumerable.Range(i, PerGroup).Select(n =>
            {
                var p = new[] { random.NextDouble(), random.NextDouble(), random.NextDouble() };
                var sum = p.Sum();
                var response = decoder.DecodeResponse(Tensor.OfNumbers(2, 1, 3, [.. p.Select(v => v / sum)], batchFirst: true));
                return (IReadOnlyList<IngestEvent>)[new LoggedResponse(new CloudEventId("s", $"response-{n}", "io.seldon.serving.inference.response"), key, Guid.NewGuid().ToString(), response, ReplyContext.None)];
            }).ToList();
            engine.Apply(engine.Decide(group).Changes);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perResponse = (after - before) / (double)Count;
        TestContext.Out.WriteLine($"{perResponse:F0} bytes per pending response ({Count} held)");
        Assert.Multiple(() =>
        {
            Assert.That(join.Figures(JoinScope.Of(key))!.PendingResponses, Is.EqualTo(Count));
            Assert.That(perResponse, Is.LessThanOrEqualTo(BytesPerPendingResponse));
        });
        GC.KeepAlive(engine);
    }
}
