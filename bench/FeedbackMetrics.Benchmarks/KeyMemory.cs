using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Benchmarks;

/// <summary>
/// Memory one model costs the server's read model with the default windows: its aggregate (classes, cumulative matrix,
/// probability sums, reward) and its windows, applied through <see cref="MetricsBook"/> as the stores do. Live heap
/// before and after building many models, divided by the models.
/// </summary>
public static class KeyMemory
{
    public static void Report()
    {
        Console.WriteLine("| classes | vectors | traffic per model | bytes per model |");
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
        var models = rows == 1 ? 10_000 : 300;
        var random = new Random(1);
        var sample = Enumerable.Range(0, 256).Select(_ =>
        {
            var p = Enumerable.Range(0, classes).Select(_ => random.NextDouble()).ToArray();
            var sum = p.Sum();
            p = [.. p.Select(v => v / sum)];
            var truth = random.Next(classes);
            var predicted = Array.IndexOf(p, p.Max());
            return new DecodedFeedback([new Observation(ClassLabel.OfIndex(truth), ClassLabel.OfIndex(predicted))], classes, null, vectors ? new ScoreRows(p, classes) : null);
        }).ToArray();

        var book = new MetricsBook(models, classes, WindowSpec.ParseList(WindowSpec.DefaultList), new SteppingClock(DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(100)));
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var model = 0; model < models; model++)
        {
            var key = new MetricKey("ns", $"deployment-{model}", "default", "model");
            for (var i = 0; i < rows; i++)
            {
                book.Apply(key, sample[(model + i) % sample.Length]);
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(book);
        Console.WriteLine($"| {classes} | {(vectors ? "yes" : "no")} | {traffic} | {(after - before) / models:N0} |");
    }
}
