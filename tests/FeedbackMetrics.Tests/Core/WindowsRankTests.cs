using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

/// <summary>
/// ROC AUC and average precision of the cumulative sums and of every window, on random streams with relabels, against
/// scikit-learn's definitions recomputed from the rows each set holds.
/// </summary>
public sealed class WindowsRankTests
{
    [TestCase(2, ScoreKind.Realistic, 1)]
    [TestCase(2, ScoreKind.Confident, 2)]
    [TestCase(2, ScoreKind.Weak, 3)]
    [TestCase(2, ScoreKind.RareClass, 4)]
    [TestCase(2, ScoreKind.Saturated, 5)]
    [TestCase(3, ScoreKind.Realistic, 6)]
    [TestCase(3, ScoreKind.RareClass, 7)]
    [TestCase(5, ScoreKind.Weak, 8)]
    [TestCase(5, ScoreKind.Confident, 9)]
    public void Every_window_and_the_cumulative_figures_stay_within_1e_3_of_scikit_learn_through_relabels_and_expiry(int classes, ScoreKind kind, int seed)
    {
        var random = new Random(seed);
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(random.NextInt64(TimeSpan.TicksPerHour)));
        var set = new WindowSet(WindowSpec.ParseList("last_100,5m,1h"), clock);
        var cumulative = new ProbabilitySums();
        var stream = new List<Row>();
        var checks = 0;
        for (var step = 0; step < 6000; step++)
        {
            // Busy stretches (a few rows a second) and quiet ones, so time windows hold from a handful to thousands of rows.
            clock.Advance(random.Next(100) < 97 ? TimeSpan.FromMilliseconds(random.Next(0, 600)) : TimeSpan.FromMinutes(random.Next(1, 40)));
            if (random.NextDouble() < 0.85 || stream.Count == 0)
            {
                var (truth, p) = ScoreStreams.Next(random, classes, kind);
                var row = new Row(p, ScoreStreams.ArgMax(p)) { Truth = truth };
                row.Stamp = set.Add(row.ToWindowRow());
                cumulative.Add(row.ToWindowRow().Probability!.Value);
                stream.Add(row);
            }
            else
            {
                // A relabel, mostly of recent rows: the row moves in every window it is still in and in the cumulative sums.
                var row = stream[random.Next(2) == 0 ? random.Next(stream.Count) : Math.Max(0, stream.Count - 1 - random.Next(50))];
                var old = row.ToWindowRow();
                row.Truth = random.Next(classes);
                set.Relabel(row.Stamp, old, row.ToWindowRow());
                cumulative.Remove(old.Probability!.Value);
                cumulative.Add(row.ToWindowRow().Probability!.Value);
            }

            if (step % 50 == 49)
            {
                checks += Check(cumulative, set, stream, clock.GetUtcNow(), classes);
            }
        }

        clock.Advance(TimeSpan.FromMinutes(61));
        checks += Check(cumulative, set, stream, clock.GetUtcNow(), classes);
        Assert.That(checks, Is.GreaterThan(300), "figure sets compared");
    }

    [TestCase(2, ScoreKind.Realistic, 21)]
    [TestCase(2, ScoreKind.Weak, 22)]
    [TestCase(2, ScoreKind.RareClass, 23)]
    [TestCase(3, ScoreKind.Confident, 24)]
    [TestCase(10, ScoreKind.Realistic, 25)]
    [TestCase(20, ScoreKind.Weak, 26)]
    public void A_busy_hour_keeps_its_buckets_to_their_budget_and_its_figures_within_1e_3(int classes, ScoreKind kind, int seed)
    {
        // 15 rows a second for 70 minutes: 900 rows a bucket, so the 1h window's buckets must go coarser to fit.
        var random = new Random(seed);
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var set = new WindowSet(WindowSpec.ParseList("1h"), clock);
        var stream = new List<Row>();
        for (var second = 1; second <= 70 * 60; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            for (var i = 0; i < 15; i++)
            {
                var (truth, p) = ScoreStreams.Next(random, classes, kind);
                var row = new Row(p, ScoreStreams.ArgMax(p)) { Truth = truth };
                row.Stamp = set.Add(row.ToWindowRow());
                stream.Add(row);
            }

            if (second % 900 == 0)
            {
                var now = clock.GetUtcNow();
                var spec = set.Specs[0];
                var rows = stream.Where(r => Bucket(now, spec) - Bucket(r.Stamp.CountedAt, spec) < spec.Buckets).ToList();
                var level = set.Read(classes)[0].Probabilities.Ranks!.Histograms.Max(h => h.Level);
                Assert.That(level, Is.GreaterThan(0), "the buckets went coarser");
                Compare(set.Read(classes)[0].Probabilities, rows, $"1h window ({rows.Count} rows) at {now:O}");
            }
        }
    }

    /// <summary>Compares every set of sums with its rows; returns how many sets had figures.</summary>
    private static int Check(ProbabilitySums cumulative, WindowSet set, List<Row> stream, DateTimeOffset now, int classes)
    {
        var compared = Compare(cumulative, stream, $"cumulative at {now:O}");
        var counts = set.Read(classes);
        var newest = stream.Max(r => r.Stamp.Sequence);
        for (var i = 0; i < set.Specs.Count; i++)
        {
            var spec = set.Specs[i];
            var rows = stream.Where(r => spec.Kind == WindowKind.Count
                ? r.Stamp.Sequence > newest - spec.Rows
                : Bucket(now, spec) - Bucket(r.Stamp.CountedAt, spec) < spec.Buckets).ToList();
            compared += Compare(counts[i].Probabilities, rows, $"window {spec.Name} ({rows.Count} rows) at {now:O}");
        }

        return compared;
    }

    private static int Compare(ProbabilitySums sums, List<Row> rows, string what)
    {
        var exact = ExactRanking.Of([.. rows.Select(r => (r.Truth, r.P))]);
        var figures = sums.ToFigures();
        Assert.That(figures?.Count ?? 0, Is.EqualTo(rows.Count), what);
        Assert.That(figures?.RocAuc, exact.Auc is null ? Is.Null : Is.EqualTo(exact.Auc).Within(1e-3), $"{what}: ROC AUC");
        Assert.That(figures?.AveragePrecision, exact.Ap is null ? Is.Null : Is.EqualTo(exact.Ap).Within(1e-3), $"{what}: average precision");
        return exact.Auc is null ? 0 : 1;
    }

    private static long Bucket(DateTimeOffset time, WindowSpec spec) => time.UtcTicks / (spec.Span.Ticks / spec.Buckets);

    private sealed class Row(double[] p, int predicted)
    {
        public double[] P { get; } = p;

        public int Truth { get; set; }

        public RowStamp Stamp { get; set; }

        public WindowRow ToWindowRow() => new(Truth, predicted, ScoredRow.Of(P, Truth, 1));
    }
}
