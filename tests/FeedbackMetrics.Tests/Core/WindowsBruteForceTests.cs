using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

/// <summary>Every window against a recomputation from the whole stream, with an injected clock.</summary>
public sealed class WindowsBruteForceTests
{
    [TestCase(2, 100, 1)]
    [TestCase(3, 1, 2)]
    [TestCase(3, 7, 3)]
    [TestCase(3, 100, 4)]
    [TestCase(20, 100, 5)]
    [TestCase(20, 1000, 6)]
    public void Windows_match_a_brute_force_recomputation_of_a_random_stream_with_relabels_and_removals(int classes, int lastN, int seed)
    {
        var random = new Random(seed);
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(random.NextInt64(TimeSpan.TicksPerHour)));
        var specs = WindowSpec.ParseList($"last_{lastN},5m,1h");
        var set = new WindowSet(specs, clock);
        var stream = new List<StreamRow>();
        var k = TopK.DefaultFor(classes);
        for (var step = 0; step < 6000; step++)
        {
            clock.Advance(NextGap(random));
            var op = random.NextDouble();
            var present = stream.Where(r => r.Present).ToList();
            if (op < 0.8 || present.Count == 0)
            {
                var (truth, p, predicted) = RandomRows.Next(random, classes);
                var row = new StreamRow { Truth = truth, Predicted = predicted, P = random.NextDouble() < 0.7 ? p : null, Present = true };
                row.Stamp = set.Add(row.ToWindowRow(k));
                stream.Add(row);
            }
            else if (op < 0.95)
            {
                // A relabel, mostly of recent rows (the join's usual case), sometimes of ones long gone from a window.
                var row = present[random.Next(2) == 0 ? random.Next(present.Count) : Math.Max(0, present.Count - 1 - random.Next(50))];
                var old = row.ToWindowRow(k);
                row.Truth = random.Next(classes);
                set.Relabel(row.Stamp, old, row.ToWindowRow(k));
            }
            else
            {
                var row = present[random.Next(present.Count)];
                set.Remove(row.ToWindowRow(k), row.Stamp);
                row.Present = false;
            }

            if (step % 20 == 0)
            {
                AssertWindowsMatch(set, stream, clock.GetUtcNow(), classes, k);
            }
        }

        // And once more after the clock has run past every time window.
        clock.Advance(TimeSpan.FromHours(2));
        AssertWindowsMatch(set, stream, clock.GetUtcNow(), classes, k);
    }

    /// <summary>Mostly seconds apart, sometimes minutes, now and then hours: every window fills, slides and empties.</summary>
    private static TimeSpan NextGap(Random random) => random.Next(100) switch
    {
        < 80 => TimeSpan.FromMilliseconds(random.Next(0, 3000)),
        < 98 => TimeSpan.FromSeconds(random.Next(30, 600)),
        _ => TimeSpan.FromMinutes(random.Next(30, 150)),
    };

    private static void AssertWindowsMatch(WindowSet set, List<StreamRow> stream, DateTimeOffset now, int classes, int k)
    {
        var names = Enumerable.Range(0, classes).Select(c => $"CLASS_{c}").ToArray();
        var cumulative = new long[classes * classes];
        foreach (var row in stream.Where(r => r.Present))
        {
            cumulative[(row.Truth * classes) + row.Predicted]++;
        }

        var counts = set.Read(classes);
        var figures = WindowSet.Figures(set.Specs, counts, names, cumulative);
        var newest = stream.Max(r => r.Stamp.Sequence);
        for (var i = 0; i < set.Specs.Count; i++)
        {
            var spec = set.Specs[i];
            var inWindow = stream.Where(r => r.Present && (spec.Kind == WindowKind.Count
                ? r.Stamp.Sequence > newest - spec.Rows
                : Bucket(now, spec) - Bucket(r.Stamp.CountedAt, spec) < spec.Buckets)).ToList();

            var matrix = new long[classes * classes];
            var sums = new ProbabilitySums();
            foreach (var row in inWindow)
            {
                matrix[(row.Truth * classes) + row.Predicted]++;
                if (row.P is not null)
                {
                    sums.Add(ScoredRow.Of(row.P, row.Truth, k));
                }
            }

            var what = $"window {spec.Name} at {now:O}";
            Assert.That(counts[i].Matrix, Is.EqualTo(matrix), what);
            Assert.That(counts[i].Count, Is.EqualTo(inWindow.Count), what);
            AssertSameFigures(counts[i].Probabilities.ToFigures(), sums.ToFigures(), what);

            var expected = FigureCalculator.Compute(names, matrix, sums, cumulative);
            var actual = figures[spec.Name];
            Assert.That(actual.Accuracy, Is.EqualTo(expected.Accuracy), what);
            Assert.That(actual.AccuracyInterval, Is.EqualTo(expected.AccuracyInterval), what);
            Assert.That(actual.Shift?.PredictedPsi, Is.EqualTo(expected.Shift?.PredictedPsi), what);
            Assert.That(actual.Shift?.EstimatedTruthDistribution, Is.EqualTo(expected.Shift?.EstimatedTruthDistribution), what);
        }
    }

    private static long Bucket(DateTimeOffset time, WindowSpec spec) => time.UtcTicks / (spec.Span.Ticks / spec.Buckets);

    private static void AssertSameFigures(ProbabilisticFigures? actual, ProbabilisticFigures? expected, string what)
    {
        if (expected is null)
        {
            Assert.That(actual, Is.Null, what);
            return;
        }

        Assert.That(actual, Is.Not.Null, what);
        Assert.That(actual!.Count, Is.EqualTo(expected.Count), what);
        Assert.That(actual.LogLoss, Is.EqualTo(expected.LogLoss).Within(1e-9), what);
        Assert.That(actual.Brier, Is.EqualTo(expected.Brier).Within(1e-9), what);
        Assert.That(actual.Ece, Is.EqualTo(expected.Ece).Within(1e-9), what);
        Assert.That(actual.TopK, Is.EqualTo(expected.TopK), what);
        Assert.That(actual.Calibration.Select(b => b.Count), Is.EqualTo(expected.Calibration.Select(b => b.Count)), what);
        Assert.That(actual.Calibration.Select(b => b.Accuracy), Is.EqualTo(expected.Calibration.Select(b => b.Accuracy)), what);
        Assert.That(actual.Calibration.Select(b => b.Confidence ?? -1), Is.EqualTo(expected.Calibration.Select(b => b.Confidence ?? -1)).Within(1e-9), what);
    }

    private sealed class StreamRow
    {
        public int Truth { get; set; }

        public int Predicted { get; init; }

        public double[]? P { get; init; }

        public bool Present { get; set; }

        public RowStamp Stamp { get; set; }

        public WindowRow ToWindowRow(int k) => new(Truth, Predicted, P is null ? null : ScoredRow.Of(P, Truth, k));
    }
}
