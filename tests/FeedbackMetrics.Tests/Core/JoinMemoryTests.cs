using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Payloads;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

/// <summary>What a pending response costs in memory when the ledger holds every entry (the memory store; with SQLite they live on disk, <see cref="Stores.SqliteJoinMillionTests"/>).</summary>
[Category("Load")]
public sealed class JoinMemoryTests
{
    /// <summary>
    /// A bound on one pending response of one row with a 3-class probability vector and a 36-character request id;
    /// docs/join.md states the figure measured here (about 540 bytes).
    /// </summary>
    private const int BytesPerPendingResponse = 650;

    [Test]
    public void A_pending_response_costs_at_most_the_documented_bytes()
    {
        const int Count = 200_000;
        var decoder = new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5);
        var key = new MetricKey("seldon", "iris", "default", "classifier");
        var ledger = new JoinLedger(new JoinLimits(JoinLimits.DefaultTtl, Count), new FakeTimeProvider());
        var random = new Random(3);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Count; i++)
        {
            var p = new[] { random.NextDouble(), random.NextDouble(), random.NextDouble() };
            var sum = p.Sum();
            var response = decoder.DecodeResponse(Tensor.OfNumbers(2, 1, 3, [.. p.Select(v => v / sum)], batchFirst: true));
            ledger.OfferResponse(key, Guid.NewGuid().ToString(), response);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perResponse = (after - before) / (double)Count;
        TestContext.Out.WriteLine($"{perResponse:F0} bytes per pending response ({Count} held)");
        Assert.Multiple(() =>
        {
            Assert.That(ledger.Figures(JoinScope.Of(key))!.PendingResponses, Is.EqualTo(Count));
            Assert.That(perResponse, Is.LessThanOrEqualTo(BytesPerPendingResponse));
        });
        GC.KeepAlive(ledger);
    }
}
