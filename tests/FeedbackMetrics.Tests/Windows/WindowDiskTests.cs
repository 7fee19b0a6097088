using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Core.Windows;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Windows;

/// <summary>
/// What windows keep in the state file, read through its layout after a graceful stop (a last snapshot, the journal
/// trimmed): each model's image holds a count window's rows (at most N) and a time window's buckets still in its span,
/// never a time window's rows; and every figure is the same after a restart. Also the size of the file for a fixed
/// stream (docs/windows-and-statistics.md quotes it).
/// </summary>
public sealed partial class WindowDiskTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static string NewStateDir() => Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));

    [Test]
    public async Task With_a_count_and_a_time_window_the_file_keeps_the_30_rows_of_the_count_window_and_the_hour_in_buckets_and_a_restart_shows_every_figure_exactly()
    {
        var clock = new FakeTimeProvider(Start);
        var stateDir = NewStateDir();
        var random = new Random(4);
        string[] args = ["--windows", "last_30,1h"];
        JsonNode before;
        await using (var server = await StartAsync(clock, args, stateDir))
        {
            // 10 events of 3 rows a minute for 20 minutes.
            for (var i = 0; i < 200; i++)
            {
                await PostAsync(server, random, $"e{i}");
                if (i % 10 == 9)
                {
                    clock.Advance(TimeSpan.FromMinutes(1));
                }
            }

            before = (await server.MetricsJsonAsync())["deployments"]![0]!;
            Assert.That(before["windows"]!["1h"]!["count"]!.GetValue<long>(), Is.EqualTo(600), "20 minutes of rows, all in the hour");
        }

        var windows = WindowsOnDisk(stateDir);
        Assert.Multiple(() =>
        {
            Assert.That(JournalRows(stateDir), Is.Zero, "a graceful stop writes a last snapshot and trims the journal");
            Assert.That(windows["last_30"].Rows, Has.Count.EqualTo(30), "the count window's 30 rows, no more");
            Assert.That(windows["last_30"].Rows.Select(r => r.Sequence), Is.EqualTo(Enumerable.Range(570, 30).Select(s => (long)s)), "the newest 30 of 600");
            Assert.That(windows["1h"].Rows, Is.Empty, "a time window keeps no rows");
            Assert.That(windows["1h"].Buckets, Has.Count.EqualTo(20), "one bucket a minute");
            Assert.That(windows["1h"].Buckets.Sum(b => b.Count), Is.EqualTo(600));
        });

        await using (var restarted = await StartAsync(clock, args, stateDir))
        {
            var after = (await restarted.MetricsJsonAsync())["deployments"]![0]!;
            Assert.That(after.ToJsonString(), Is.EqualTo(before.ToJsonString()), "every figure, the 1h window's included, as before the restart");
        }

        Directory.Delete(stateDir, recursive: true);
    }

    [Test]
    public async Task With_only_a_time_window_no_rows_are_kept_only_the_buckets_in_the_span_and_the_hour_survives_a_restart_exactly()
    {
        var clock = new FakeTimeProvider(Start);
        var stateDir = NewStateDir();
        var random = new Random(5);
        string[] args = ["--windows", "1h"];
        JsonNode before;
        await using (var server = await StartAsync(clock, args, stateDir))
        {
            for (var i = 0; i < 90; i++)
            {
                await PostAsync(server, random, $"e{i}");
                clock.Advance(TimeSpan.FromSeconds(20));
            }

            before = (await server.MetricsJsonAsync())["deployments"]![0]!;
        }

        var hour = WindowsOnDisk(stateDir)["1h"];
        Assert.Multiple(() =>
        {
            Assert.That(JournalRows(stateDir), Is.Zero);
            Assert.That(hour.Rows, Is.Empty, "no count window: no rows");
            Assert.That(hour.Buckets, Has.Count.EqualTo(30), "one bucket a minute");
            Assert.That(hour.Buckets.Select(b => b.Count), Is.All.EqualTo(9), "3 events of 3 rows a minute");
        });

        await using (var restarted = await StartAsync(clock, args, stateDir))
        {
            var after = (await restarted.MetricsJsonAsync())["deployments"]![0]!;
            Assert.That(after.ToJsonString(), Is.EqualTo(before.ToJsonString()));
            Assert.That(after["windows"]!["1h"]!["count"]!.GetValue<long>(), Is.EqualTo(90 * 3));

            // 61 minutes on, one more event: the hour holds it alone.
            clock.Advance(TimeSpan.FromMinutes(61));
            await PostAsync(restarted, random, "late");
            Assert.That((await restarted.MetricsJsonAsync())["deployments"]![0]!["windows"]!["1h"]!["count"]!.GetValue<long>(), Is.EqualTo(3));
        }

        // The buckets that left the span are dropped from the file: only the late event's is kept.
        hour = WindowsOnDisk(stateDir)["1h"];
        Assert.Multiple(() =>
        {
            Assert.That(JournalRows(stateDir), Is.Zero);
            Assert.That(hour.Buckets, Has.Count.EqualTo(1));
            Assert.That(hour.Buckets.Single().Index, Is.EqualTo(HourSpec.BucketIndex(clock.GetUtcNow())));
            Assert.That(hour.Buckets.Single().Count, Is.EqualTo(3));
        });

        Directory.Delete(stateDir, recursive: true);
    }

    /// <summary>10 models, 100 minutes, 1 000 rows a minute (10 rows an event, scored 3-class vectors).</summary>
    [Test]
    public async Task State_file_size_of_a_fixed_stream_with_the_default_windows()
    {
        var clock = new FakeTimeProvider(Start);
        var random = new Random(17);
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        await using (var server = await RunningServer.StartAsync(["--windows", "last_100,1h"], b => b.Services.AddSingleton<TimeProvider>(clock), stateDir))
        {
            for (var minute = 0; minute < 100; minute++)
            {
                var events = new StringBuilder("[");
                for (var e = 0; e < 100; e++)
                {
                    var rows = Enumerable.Range(0, 10).Select(_ => (random.Next(3), random.Next(3))).ToArray();
                    events.Append(e == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $$"""
                        {"specversion":"1.0","type":"io.seldon.serving.feedback","source":"size","id":"{{minute}}-{{e}}",
                         "inferenceservicename":"model-{{e % 10}}","namespace":"ns","data":{{Events.OneHot(3, rows)}}}
                        """);
                }

                using var response = await server.PostRawAsync(events.Append(']').ToString(), "application/cloudevents-batch+json");
                response.EnsureSuccessStatusCode();
                clock.Advance(TimeSpan.FromMinutes(1));
            }
        }

        var bytes = Directory.EnumerateFiles(stateDir).Sum(f => new FileInfo(f).Length);
        TestContext.Progress.WriteLine($"state file after 100 000 rows over 100 minutes, 10 models, --windows last_100,1h: {bytes:N0} bytes");
        Assert.That(bytes, Is.GreaterThan(0));
        Directory.Delete(stateDir, recursive: true);
    }

    private static Task<RunningServer> StartAsync(FakeTimeProvider clock, string[] args, string stateDir) =>
        RunningServer.StartAsync(args, builder => builder.Services.AddSingleton<TimeProvider>(clock), stateDir);

    /// <summary>One event of 3 random scored rows.</summary>
    private static async Task PostAsync(RunningServer server, Random random, string id)
    {
        var rows = Enumerable.Range(0, 3).Select(_ => (random.Next(3), random.Next(3))).ToArray();
        using var answer = await server.PostBinaryAsync(Events.OneHot(3, rows), id);
        answer.EnsureSuccessStatusCode();
    }

    /// <summary>The windows of the one model in the state file, by name.</summary>
    private static Dictionary<string, WindowImage> WindowsOnDisk(string stateDir) =>
        StateFile.Models(stateDir).Single().Windows.ToDictionary(w => w.Name);

    private static long JournalRows(string stateDir) => StateFile.JournalRows(stateDir);
}
