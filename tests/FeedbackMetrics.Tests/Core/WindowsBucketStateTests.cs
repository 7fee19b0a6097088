using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

/// <summary>
/// Time windows kept as bucket states, as a durable store keeps them: each group's <see cref="TimeBucketDelta"/> merged
/// into the stored states, then windows restored from those states (and count windows from the rows a store keeps).
/// </summary>
public sealed class WindowsBucketStateTests
{
    [TestCase(3, 100, 1)]
    [TestCase(3, 7, 2)]
    [TestCase(20, 50, 3)]
    public void Windows_restored_from_merged_bucket_states_read_as_the_live_ones(int classes, int lastN, int seed)
    {
        var random = new Random(seed);
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(random.NextInt64(TimeSpan.TicksPerHour)));
        var specs = WindowSpec.ParseList($"last_{lastN},5m,1h");
        var live = new WindowSet(specs, clock);
        var stored = new Dictionary<(string Window, long Index), BucketState>();
        var rows = new SortedDictionary<long, (RowStamp Stamp, WindowRow Row, double[]? P, int Predicted)>();
        var k = TopK.DefaultFor(classes);
        for (var group = 0; group < 400; group++)
        {
            var delta = new TimeBucketDelta(specs);
            for (var op = random.Next(1, 8); op > 0; op--)
            {
                clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, random.Next(50) == 0 ? 3_000_000 : 20_000)));
                if (random.NextDouble() < 0.8 || rows.Count == 0)
                {
                    var (truth, p, predicted) = RandomRows.Next(random, classes);
                    var scores = random.NextDouble() < 0.7 ? p : null;
                    var row = new WindowRow(truth, predicted, scores is null ? null : ScoredRow.Of(scores, truth, k));
                    var stamp = live.Add(row);
                    delta.Add(stamp, row);
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
                    delta.Move(stamp, old, updated);
                    rows[sequence] = (stamp, updated, scores, predicted);
                }
            }

            foreach (var change in delta.Changes())
            {
                stored[(change.Window.Name, change.Index)] = change.ApplyTo(stored.GetValueOrDefault((change.Window.Name, change.Index)));
            }

            if (group % 20 == 19)
            {
                AssertRestoredReadsAsLive(live, specs, stored.Select(s => (s.Key.Window, s.Value)), rows.Values.Select(r => (r.Stamp, r.Row)), lastN, clock, classes);
            }
        }
    }

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

    private static void AssertRestoredReadsAsLive(
        WindowSet live, IReadOnlyList<WindowSpec> specs, IEnumerable<(string Window, BucketState State)> buckets, IEnumerable<(RowStamp Stamp, WindowRow Row)> rows, int lastN, TimeProvider clock, int classes)
    {
        var restored = new WindowSet(specs, clock);
        foreach (var (window, state) in buckets)
        {
            restored.RestoreBucket(window, state);
        }

        // A store keeps the rows from CountWindow.KeepRowsFrom on, in their relabelled form.
        var keepFrom = CountWindow.KeepRowsFrom([lastN], live.NextSequence);
        foreach (var (stamp, row) in rows.Where(r => r.Stamp.Sequence >= keepFrom))
        {
            restored.RestoreRow(row, stamp);
        }

        var expected = live.Read(classes);
        var actual = restored.Read(classes);
        for (var w = 0; w < specs.Count; w++)
        {
            var name = specs[w].Name;
            Assert.That(actual[w].Matrix, Is.EqualTo(expected[w].Matrix), name);
            Assert.That(actual[w].Count, Is.EqualTo(expected[w].Count), name);
            var (a, e) = (actual[w].Probabilities, expected[w].Probabilities);
            Assert.That((a.Count, a.Correct, a.TopKHits), Is.EqualTo((e.Count, e.Correct, e.TopKHits)), name);

            // Time windows merge the very steps the live buckets took: the same doubles. A count window re-sums in
            // sequence order, so it matches but for the residue of relabels since its last re-sum.
            var tolerance = specs[w].Kind == WindowKind.Time ? 0 : 1e-9;
            Assert.That(a.LogLossSum, Is.EqualTo(e.LogLossSum).Within(tolerance), name);
            Assert.That(a.BrierSum, Is.EqualTo(e.BrierSum).Within(tolerance), name);
            for (var b = 0; b < CalibrationBins.Count; b++)
            {
                Assert.That(a.BinConfidence(b), Is.EqualTo(e.BinConfidence(b)).Within(tolerance), $"{name} bin {b}");
            }
        }
    }
}
