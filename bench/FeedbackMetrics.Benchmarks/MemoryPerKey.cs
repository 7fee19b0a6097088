using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Benchmarks;

/// <summary>
/// Memory per key with the default windows (last_100, 1h): of the windows alone, and of a whole model in the read
/// model (classes, cumulative matrix, probability sums, windows) applied through <see cref="MetricsBook"/> as the stores
/// do, and of a whole model whose rows are also counted under segment values (<c>--segment_by</c>). Live heap before
/// and after building many keys, divided by the keys.
/// Run with <c>dotnet run -c Release --project bench/FeedbackMetrics.Benchmarks -- memory</c>.
/// </summary>
public static class MemoryPerKey
{
    public static void Report()
    {
        Table("windows alone", (classes, vectors, rows) =>
        {
            var k = TopK.DefaultFor(classes);
            var sample = Sample(classes, vectors).Select(s => new WindowRow(s.Truth, s.Predicted, s.P is { } p ? ScoredRow.Of(p, s.Truth, k) : null)).ToArray();
            var specs = WindowSpec.ParseList(WindowSpec.DefaultList);
            var clock = Clock();
            return key =>
            {
                var set = new WindowSet(specs, clock);
                for (var i = 0; i < rows; i++)
                {
                    set.Add(sample[(key + i) % sample.Length]);
                }

                return set;
            };
        });
        Console.WriteLine();
        Table("a whole model", (classes, vectors, rows) =>
        {
            var sample = Sample(classes, vectors)
                .Select(s => new DecodedFeedback([new Observation(ClassLabel.OfIndex(s.Truth), ClassLabel.OfIndex(s.Predicted))], classes, null, s.P is { } p ? new ScoreRows(p, classes) : null))
                .ToArray();
            var book = new MetricsBook(int.MaxValue, classes, WindowSpec.ParseList(WindowSpec.DefaultList), Clock());
            return key =>
            {
                var id = new MetricKey("ns", $"deployment-{key}", "default", "model");
                for (var i = 0; i < rows; i++)
                {
                    book.Apply(id, sample[(key + i) % sample.Length]);
                }

                return book;
            };
        });
        foreach (var values in new[] { 5, 20 })
        {
            Console.WriteLine();
            Table($"a whole model with one --segment_by name of {values} values, rows spread evenly", Segmented(values));
        }
    }

    /// <summary>A model counted as the engine counts (<see cref="KeyAggregate.Count"/>), each row also under one of <paramref name="values"/> segment values.</summary>
    private static Func<int, bool, int, Func<int, object>> Segmented(int values) => (classes, vectors, rows) =>
    {
        var k = TopK.DefaultFor(classes);
        var sample = Sample(classes, vectors).Select(s => new WindowRow(s.Truth, s.Predicted, s.P is { } p ? ScoredRow.Of(p, s.Truth, k) : null)).ToArray();
        var names = Enumerable.Range(0, classes).Select(ClassNames.ForIndex).ToArray();
        var segments = Enumerable.Range(0, values).Select(v => new[] { new SegmentValue("region", $"region-{v}") }).ToArray();
        var specs = WindowSpec.ParseList(WindowSpec.DefaultList);
        var clock = Clock();
        return key =>
        {
            var model = new KeyAggregate(new MetricKey("ns", $"deployment-{key}", "default", "model"), specs, clock);
            for (var i = 0; i < rows; i++)
            {
                model.Count(i == 0 ? names : [], [new CountedRow(new RowStamp(i, clock.GetUtcNow()), sample[(key + i) % sample.Length])], null, segments[i % values]);
            }

            return model;
        };
    };

    /// <summary>One table; <paramref name="builder"/> gives, per (classes, vectors, rows), what builds key number n.</summary>
    private static void Table(string what, Func<int, bool, int, Func<int, object>> builder)
    {
        Console.WriteLine($"| classes | vectors | traffic per key | bytes per key ({what}) |");
        Console.WriteLine("|---:|---|---|---:|");
        foreach (var classes in new[] { 2, 3, 20 })
        {
            foreach (var vectors in new[] { false, true })
            {
                foreach (var (rows, traffic) in new[] { (1, "1 row"), (36_000, "1 h at 10 rows/s") })
                {
                    var keys = rows == 1 ? 10_000 : 300;
                    var build = builder(classes, vectors, rows);
                    var kept = new object[keys];
                    var before = GC.GetTotalMemory(forceFullCollection: true);
                    for (var key = 0; key < keys; key++)
                    {
                        kept[key] = build(key);
                    }

                    var after = GC.GetTotalMemory(forceFullCollection: true);
                    GC.KeepAlive(kept);
                    Console.WriteLine($"| {classes} | {(vectors ? "yes" : "no")} | {traffic} | {(after - before) / keys:N0} |");
                }
            }
        }
    }

    /// <summary>256 random rows: a probability vector (when <paramref name="vectors"/>), its top class predicted, a random truth.</summary>
    private static (int Truth, int Predicted, double[]? P)[] Sample(int classes, bool vectors)
    {
        var random = new Random(1);
        return [.. Enumerable.Range(0, 256).Select(_ =>
        {
            var p = Enumerable.Range(0, classes).Select(_ => random.NextDouble()).ToArray();
            var sum = p.Sum();
            p = [.. p.Select(v => v / sum)];
            return (random.Next(classes), Array.IndexOf(p, p.Max()), vectors ? p : null);
        })];
    }

    private static SteppingClock Clock() => new(DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(100));
}
