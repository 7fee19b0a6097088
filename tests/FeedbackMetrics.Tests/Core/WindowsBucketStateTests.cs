using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

/// <summary>
/// Windows as a snapshot keeps them (<see cref="WindowSet.Export"/>: a count window's rows and sums, a time window's
/// buckets) and put back into new windows (<see cref="WindowSet.Restore"/>): they read exactly as the live ones, doubles
/// included, and go on alike.
/// </summary>
public sealed class WindowsBucketStateTests
{
    [TestCase(3, 100, 1)]
    [TestCase(3, 7, 2)]
    [TestCase(20, 50, 3)]
    public void Windows_restored_from_their_export_read_and_go_on_as_the_live_ones(int classes, int lastN, int seed)
    {
        var random = new Random(seed);
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(random.NextInt64(TimeSpan.TicksPerHour)));
        var specs = WindowSpec.ParseList($"last_{lastN},5m,1h");
        var live = new WindowSet(specs, clock);
        var restored = new WindowSet(specs, clock);
        var rows = new SortedDictionary<long, (RowStamp Stamp, WindowRow Row, double[]? P, int Predicted)>();
        var k = TopK.DefaultFor(classes);
        for (var op = 0; op < 3000; op++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, random.Next(50) == 0 ? 3_000_000 : 20_000)));
            if (random.NextDouble() < 0.8 || rows.Count == 0)
            {
                var (truth, p, predicted) = RandomRows.Next(random, classes);
                var scores = random.NextDouble() < 0.7 ? p : null;
                var row = new WindowRow(truth, predicted, scores is null ? null : ScoredRow.Of(scores, truth, k));
                var stamp = live.Add(row);
                restored.Add(row, stamp);
                rows[stamp.Sequence] = (stamp, row, scores, predicted);
            }
            else
            {
                // A relabel, mostly of recent rows, sometimes of one that has left a window.
                var sequence = rows.Keys.ElementAt(random.Next(2) == 0 ? random.Next(rows.Count) : Math.Max(0, rows.Count - 1 - random.Next(30)));
                var (stamp, old, scores, predicted) = rows[sequence];
                var truth = random.Next(classes);
                var updated = new WindowRow(truth, predicted, scores is null ? null : ScoredRow.Of(scores, truth, k));
                live.Relabel(stamp, old, updated);
                restored.Relabel(stamp, old, updated);
                rows[sequence] = (stamp, updated, scores, predicted);
            }

            if (op % 150 == 149)
            {
                // A snapshot now: what follows goes on from the windows put back from it.
                restored = new WindowSet(specs, clock);
                restored.Restore(live.Export());
                AssertReadAlike(live, restored, specs, classes, $"after op {op}");
            }
        }

        AssertReadAlike(live, restored, specs, classes, "at the end");
    }

    private static void AssertReadAlike(WindowSet live, WindowSet restored, IReadOnlyList<WindowSpec> specs, int classes, string when)
    {
        Assert.That(restored.NextSequence, Is.EqualTo(live.NextSequence), when);
        var a = live.Read(classes);
        var b = restored.Read(classes);
        for (var w = 0; w < specs.Count; w++)
        {
            Assert.That(b[w].Matrix, Is.EqualTo(a[w].Matrix), $"{specs[w].Name} {when}");
            Assert.That(b[w].Count, Is.EqualTo(a[w].Count), $"{specs[w].Name} {when}");
            Assert.That(Sums(b[w].Probabilities), Is.EqualTo(Sums(a[w].Probabilities)), $"{specs[w].Name} {when}: the probability sums, to the bit");
        }
    }

    private static string Sums(ProbabilitySums p) => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{p.Count} {p.TopK} {p.LogLossSum:R} {p.BrierSum:R} {p.TopKHits} {p.Correct} {string.Join(';', Enumerable.Range(0, CalibrationBins.Count).Select(b => $"{p.BinCount(b)}:{p.BinCorrect(b)}:{p.BinConfidence(b):R}"))}");

    [Test]
    public void A_bucket_moves_a_row_only_when_it_holds_one()
    {
        var scored = new ScoredRow(0.5, 0.25, 0.6, true, true, 2);
        var state = new BucketState(7);
        state.Add(new WindowRow(0, 0, scored));
        Assert.That(state.Move(new WindowRow(1, 0, null), new WindowRow(2, 0, null)), Is.False, "no (1, 0) row");
        Assert.That(state.Move(new WindowRow(0, 0, scored), new WindowRow(1, 0, scored with { Correct = false })), Is.True);
        Assert.That(state.Cells, Is.EqualTo(new[] { (1, 0, 1L) }));
        Assert.That((state.Count, state.Probabilities!.Count, state.Probabilities.Correct), Is.EqualTo((1L, 1L, 0L)));
    }

}
