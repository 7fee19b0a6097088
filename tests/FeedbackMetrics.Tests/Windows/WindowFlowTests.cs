using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Windows;

/// <summary>
/// Windows and probabilistic figures as a user reads them: a real server on a fake clock, events sent one by one,
/// every figure of the JSON view and the Prometheus series checked against a recomputation over the raw rows here.
/// </summary>
public sealed class WindowFlowTests
{
    private const int Classes = 3;

    /// <summary>A whole minute, so the 1-minute buckets of the 1h window start where the test thinks they do.</summary>
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Random rows: a probability vector (no ties), the truth drawn from it most of the time.</summary>
    private static List<Row> Rows(int seed, int count)
    {
        var random = new Random(seed);
        var rows = new List<Row>();
        for (var i = 0; i < count; i++)
        {
            var raw = Enumerable.Range(0, Classes).Select(_ => 0.05 + random.NextDouble()).ToArray();
            var sum = raw.Sum();
            var p = raw.Select(x => Math.Round(x / sum, 6)).ToArray();
            p[^1] = Math.Round(1 - p[0] - p[1], 6);
            var predicted = Array.IndexOf(p, p.Max());
            var truth = random.NextDouble() < 0.6 ? predicted : random.Next(Classes);
            rows.Add(new Row(truth, predicted, p));
        }

        return rows;
    }

    [Test]
    public async Task Windows_hold_exactly_the_last_rows_and_the_last_hour_in_json_and_prometheus()
    {
        var clock = new FakeTimeProvider(Start);
        var rows = Rows(seed: 11, count: 150);
        await using var server = await StartAsync(clock, ["--state", "memory", "--windows", "last_30,1h"]);

        // 10 rows a minute for 15 minutes, then 50 minutes of silence: the 1h window keeps minutes 5 to 14.
        for (var i = 0; i < rows.Count; i++)
        {
            await PostAsync(server, rows[i], $"e{i}");
            if (i % 10 == 9)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
            }
        }

        clock.Advance(TimeSpan.FromMinutes(50) - TimeSpan.FromMinutes(1));

        var d = (await server.MetricsJsonAsync())["deployments"]![0]!;
        var windows = d["windows"]!.AsObject();
        Assert.That(windows.Select(w => w.Key), Is.EqualTo(new[] { "last_30", "1h" }), "in --windows order");
        AssertFigures(windows["last_30"]!, rows[^30..], "last_30");
        AssertFigures(windows["1h"]!, rows[50..], "1h");
        AssertFigures(d, rows, "cumulative");

        var prometheus = await server.PrometheusAsync();
        foreach (var (window, expected) in new[] { ("all", rows), ("last_30", rows[^30..]), ("1h", rows[50..]) })
        {
            var w = ("window", window);
            Assert.That(prometheus.Value("feedback_metrics_rows", w), Is.EqualTo(expected.Count), window);
            Assert.That(prometheus.Value("feedback_metrics_accuracy_ratio", w), Is.EqualTo(Accuracy(expected)).Within(1e-12), window);
            Assert.That(prometheus.Value("feedback_metrics_log_loss", w), Is.EqualTo(expected.Average(r => -Math.Log(r.P[r.Truth]))).Within(1e-9), window);
            Assert.That(prometheus.Value("feedback_metrics_top_k_accuracy_ratio", w, ("k", "2")), Is.EqualTo(expected.Average(r => TopTwo(r) ? 1.0 : 0)).Within(1e-12), window);
        }

        Assert.That(prometheus.Value("feedback_metrics_predicted_class_psi", ("window", "all")), Is.Null, "shift is measured for windows only");
        Assert.That(prometheus.Value("feedback_metrics_predicted_class_psi", ("window", "last_30")), Is.EqualTo(windows["last_30"]!["shift"]!["predictedPsi"]!.GetValue<double>()).Within(1e-12));

        // Another 10 minutes later the 1h window has lost minutes 5 to 14 but for what the last minute's bucket still holds.
        clock.Advance(TimeSpan.FromMinutes(11));
        var later = (await server.MetricsJsonAsync())["deployments"]![0]!["windows"]!;
        Assert.That(later["1h"]!["count"]!.GetValue<long>(), Is.Zero);
        Assert.That(later["last_30"]!["count"]!.GetValue<long>(), Is.EqualTo(30), "a count window does not age");
    }

    [Test]
    public async Task Windows_and_probabilistic_figures_survive_a_restart_of_the_sqlite_store()
    {
        var clock = new FakeTimeProvider(Start);
        var rows = Rows(seed: 5, count: 120);
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        JsonNode before;
        await using (var server = await StartAsync(clock, ["--windows", "last_50,5m,1h"], stateDir))
        {
            for (var i = 0; i < rows.Count; i++)
            {
                await PostAsync(server, rows[i], $"e{i}");
                if (i % 20 == 19)
                {
                    clock.Advance(TimeSpan.FromMinutes(1));
                }
            }

            before = (await server.MetricsJsonAsync())["deployments"]![0]!;
        }

        await using (var restarted = await StartAsync(clock, ["--windows", "last_50,5m,1h"], stateDir))
        {
            var after = (await restarted.MetricsJsonAsync())["deployments"]![0]!;
            Assert.That(after.ToJsonString(), Is.EqualTo(before.ToJsonString()), "every figure, windows and probabilities included, as before the restart");
            Assert.That(after["windows"]!["5m"]!["count"]!.GetValue<long>(), Is.EqualTo(80), "at 6:00 the 5m window's 5-second buckets start at 1:05: the rows of minutes 2 to 5");
            AssertFigures(after["windows"]!["last_50"]!, rows[^50..], "last_50 after restart");
            AssertFigures(after, rows, "cumulative after restart");

            // The restored windows keep counting: 10 more rows, and the count window is still exactly the last 50.
            var more = Rows(seed: 6, count: 10);
            for (var i = 0; i < more.Count; i++)
            {
                await PostAsync(restarted, more[i], $"more{i}");
            }

            var all = rows.Concat(more).ToList();
            AssertFigures((await restarted.MetricsJsonAsync())["deployments"]![0]!["windows"]!["last_50"]!, all[^50..], "last_50 after more rows");
        }

        Directory.Delete(stateDir, recursive: true);
    }

    [Test]
    public async Task Rows_and_buckets_no_window_can_hold_are_dropped_from_the_state_file()
    {
        var clock = new FakeTimeProvider(Start);
        var rows = Rows(seed: 9, count: 100);
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        await using (var server = await StartAsync(clock, ["--windows", "last_10,5m"], stateDir))
        {
            for (var i = 0; i < rows.Count; i++)
            {
                await PostAsync(server, rows[i], $"e{i}");
            }

            var before = (await server.MetricsJsonAsync())["deployments"]![0]!["windows"]!;
            Assert.That((before["last_10"]!["count"]!.GetValue<long>(), before["5m"]!["count"]!.GetValue<long>()), Is.EqualTo((10L, 100L)), "all within 5 minutes");

            // Ten minutes on, one more row: the 5 minutes hold it alone.
            clock.Advance(TimeSpan.FromMinutes(10));
            await PostAsync(server, rows[0], "late");
            var windows = (await server.MetricsJsonAsync())["deployments"]![0]!["windows"]!;
            Assert.That((windows["last_10"]!["count"]!.GetValue<long>(), windows["5m"]!["count"]!.GetValue<long>()), Is.EqualTo((10L, 1L)));
        }

        // A graceful stop writes a last snapshot: the model's image keeps last_10's 10 rows, the late one the newest, and
        // of 5m (bucket states, never rows) only the late row's bucket.
        var image = StateFile.Models(stateDir).Single().Windows.ToDictionary(w => w.Name);
        Assert.Multiple(() =>
        {
            Assert.That(StateFile.JournalRows(stateDir), Is.Zero);
            Assert.That(image["last_10"].Rows.Select(r => r.Sequence), Is.EqualTo(Enumerable.Range(91, 10).Select(s => (long)s)));
            Assert.That(image["5m"].Rows, Is.Empty);
            Assert.That(image["5m"].Buckets.Select(b => b.Count), Is.EqualTo(new[] { 1L }));
        });
        Directory.Delete(stateDir, recursive: true);
    }

    private static Task<RunningServer> StartAsync(FakeTimeProvider clock, string[] args, string? stateDir = null) =>
        RunningServer.StartAsync(args, builder => builder.Services.AddSingleton<TimeProvider>(clock), stateDir);

    private static async Task PostAsync(RunningServer server, Row row, string id)
    {
        var response = "[[" + string.Join(",", row.P.Select(p => p.ToString("R", CultureInfo.InvariantCulture))) + "]]";
        var truth = "[[" + string.Join(",", Enumerable.Range(0, Classes).Select(c => c == row.Truth ? "1" : "0")) + "]]";
        using var answer = await server.PostBinaryAsync(Events.Body(response, truth), id);
        answer.EnsureSuccessStatusCode();
    }

    /// <summary>Count, matrix, accuracy with its Wilson interval, and every probabilistic figure, recomputed from the rows.</summary>
    private static void AssertFigures(JsonNode figures, IReadOnlyList<Row> rows, string what)
    {
        Assert.That(figures["count"]!.GetValue<long>(), Is.EqualTo(rows.Count), what);
        for (var t = 0; t < Classes; t++)
        {
            for (var p = 0; p < Classes; p++)
            {
                Assert.That(figures["confusionMatrix"]![t]![p]!.GetValue<long>(), Is.EqualTo(rows.Count(r => r.Truth == t && r.Predicted == p)), $"{what}: cell {t},{p}");
            }
        }

        var accuracy = Accuracy(rows);
        Assert.That(figures["accuracy"]!.GetValue<double>(), Is.EqualTo(accuracy).Within(1e-12), what);
        var (low, high) = Wilson(rows.Count(r => r.Truth == r.Predicted), rows.Count);
        Assert.That(figures["accuracyInterval"]!["low"]!.GetValue<double>(), Is.EqualTo(low).Within(1e-9), what);
        Assert.That(figures["accuracyInterval"]!["high"]!.GetValue<double>(), Is.EqualTo(high).Within(1e-9), what);

        var probabilistic = figures["probabilistic"]!;
        Assert.That(probabilistic["count"]!.GetValue<long>(), Is.EqualTo(rows.Count), what);
        Assert.That(probabilistic["logLoss"]!.GetValue<double>(), Is.EqualTo(rows.Average(r => -Math.Log(r.P[r.Truth]))).Within(1e-9), what);
        Assert.That(probabilistic["brier"]!.GetValue<double>(), Is.EqualTo(rows.Average(r => Enumerable.Range(0, Classes).Sum(c => Math.Pow(r.P[c] - (c == r.Truth ? 1 : 0), 2)))).Within(1e-9), what);
        Assert.That(probabilistic["topK"]!["k"]!.GetValue<int>(), Is.EqualTo(2), "3 classes: k = classes - 1");
        Assert.That(probabilistic["topK"]!["accuracy"]!.GetValue<double>(), Is.EqualTo(rows.Average(r => TopTwo(r) ? 1.0 : 0)).Within(1e-12), what);
        Assert.That(probabilistic["ece"]!.GetValue<double>(), Is.EqualTo(Ece(rows)).Within(1e-9), what);
        var bins = probabilistic["calibration"]!.AsArray();
        Assert.That(bins.Sum(b => b!["count"]!.GetValue<long>()), Is.EqualTo(rows.Count), what);
    }

    private static double Accuracy(IReadOnlyList<Row> rows) => rows.Count == 0 ? 0 : rows.Count(r => r.Truth == r.Predicted) / (double)rows.Count;

    private static bool TopTwo(Row r) => r.P.Count(p => p > r.P[r.Truth]) < 2;

    /// <summary>Σ over 10 bins ((m−1)/10, m/10] of the top probability of |right − Σ confidence| / n.</summary>
    private static double Ece(IReadOnlyList<Row> rows) =>
        rows.GroupBy(r => Math.Max(0, (int)Math.Ceiling(r.P.Max() * 10) - 1))
            .Sum(g => Math.Abs(g.Count(r => r.Truth == r.Predicted) - g.Sum(r => r.P.Max()))) / rows.Count;

    /// <summary>The 95 % Wilson score interval, written out here from Wilson (1927).</summary>
    private static (double Low, double High) Wilson(long hits, long n)
    {
        const double z = 1.959963984540054;
        var p = (double)hits / n;
        var centre = (p + (z * z / (2 * n))) / (1 + (z * z / n));
        var half = z / (1 + (z * z / n)) * Math.Sqrt((p * (1 - p) / n) + (z * z / (4.0 * n * n)));
        return (centre - half, centre + half);
    }

    private sealed record Row(int Truth, int Predicted, double[] P);
}
