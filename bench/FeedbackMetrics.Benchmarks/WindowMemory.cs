using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Benchmarks;

/// <summary>
/// Memory a key's default windows (last_100, 1h) keep: live heap before and after building many keys, divided by the
/// keys. Run with <c>dotnet run -c Release --project bench/FeedbackMetrics.Benchmarks -- memory</c>.
/// </summary>
public static class WindowMemory
{
    public static void Report()
    {
        Console.WriteLine("| classes | vectors | traffic per key | bytes per key |");
        Console.WriteLine("|---:|---|---|---:|");
        foreach (var classes in new[] { 3, 20 })
        {
            foreach (var vectors in new[] { false, true })
            {
                Measure(classes, vectors, rows: 1, "1 row");
                Measure(classes, vectors, rows: 36_000, "1 h at 10 rows/s");
            }
        }
    }

    private static void Measure(int classes, bool vectors, int rows, string traffic)
    {
        var keys = rows == 1 ? 10_000 : 500;
        var random = new Random(1);
        var specs = WindowSpec.ParseList(WindowSpec.DefaultList);
        var k = TopK.DefaultFor(classes);
        var sample = Enumerable.Range(0, 256).Select(_ =>
        {
            var p = Enumerable.Range(0, classes).Select(_ => random.NextDouble()).ToArray();
            var sum = p.Sum();
            p = [.. p.Select(v => v / sum)];
            var truth = random.Next(classes);
            var predicted = Array.IndexOf(p, p.Max());
            return new WindowRow(truth, predicted, vectors ? ScoredRow.Of(p, truth, k) : null);
        }).ToArray();

        var sets = new WindowSet[keys];
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var key = 0; key < keys; key++)
        {
            var set = sets[key] = new WindowSet(specs, new SteppingClock(DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(100)));
            for (var i = 0; i < rows; i++)
            {
                set.Add(sample[(key + i) % sample.Length]);
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(sets);
        Console.WriteLine($"| {classes} | {(vectors ? "yes" : "no")} | {traffic} | {(after - before) / keys:N0} |");
    }
}
