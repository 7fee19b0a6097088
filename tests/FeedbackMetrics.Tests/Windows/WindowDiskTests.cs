using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Windows;

/// <summary>
/// What windows keep in the state file: rows only for the count windows, bucket states for the time windows, and the
/// figures the same after a restart. Also the size of the file for a fixed stream (docs/windows-and-statistics.md quotes it).
/// </summary>
public sealed partial class WindowDiskTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static string NewStateDir() => Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));

    [Test]
    public async Task With_a_count_and_a_time_window_only_what_the_count_window_needs_stays_on_disk_and_the_hour_survives_a_restart_exactly()
    {
        var clock = new FakeTimeProvider(Start);
        var stateDir = NewStateDir();
        var random = new Random(4);
        string[] args = ["--windows", "last_30,1h"];
        JsonNode before;
        await using (var server = await StartAsync(clock, args, stateDir))
        {
            // 10 events of 3 rows a minute for 20 minutes; the writer prunes at most once a minute, after a group.
            for (var i = 0; i < 200; i++)
            {
                await PostAsync(server, random, $"e{i}");
                if (i % 10 == 9)
                {
                    clock.Advance(TimeSpan.FromMinutes(1));
                }

                // What last_30 needs: between 30 and 60 rows (the window as at its last re-sum, and the rows since), plus
                // what one prune interval adds (30 rows here).
                Assert.That(await RowsOnDiskAsync(stateDir), Is.LessThanOrEqualTo(60 + 30), $"after event {i}");
            }

            before = (await server.MetricsJsonAsync())["deployments"]![0]!;
            Assert.That(before["windows"]!["1h"]!["count"]!.GetValue<long>(), Is.EqualTo(600), "20 minutes of rows, all in the hour");
        }

        await using (var restarted = await StartAsync(clock, args, stateDir))
        {
            var after = (await restarted.MetricsJsonAsync())["deployments"]![0]!;
            Assert.That(after.ToJsonString(), Is.EqualTo(before.ToJsonString()), "every figure, the 1h window's included, as before the restart");
        }

        Directory.Delete(stateDir, recursive: true);
    }

    [Test]
    public async Task With_only_a_time_window_no_rows_are_written_and_the_hour_survives_a_restart_exactly()
    {
        var clock = new FakeTimeProvider(Start);
        var stateDir = NewStateDir();
        var random = new Random(5);
        JsonNode before;
        await using (var server = await StartAsync(clock, ["--windows", "1h"], stateDir))
        {
            for (var i = 0; i < 90; i++)
            {
                await PostAsync(server, random, $"e{i}");
                clock.Advance(TimeSpan.FromSeconds(20));
            }

            before = (await server.MetricsJsonAsync())["deployments"]![0]!;
        }

        Assert.That(await RowsOnDiskAsync(stateDir), Is.Zero, "no count window: no rows");
        Assert.That(Scalar(stateDir, "SELECT count(*) FROM window_buckets WHERE window_name = '1h'"), Is.EqualTo(30), "one bucket a minute");
        await using (var restarted = await StartAsync(clock, ["--windows", "1h"], stateDir))
        {
            var after = (await restarted.MetricsJsonAsync())["deployments"]![0]!;
            Assert.That(after.ToJsonString(), Is.EqualTo(before.ToJsonString()));
            Assert.That(after["windows"]!["1h"]!["count"]!.GetValue<long>(), Is.EqualTo(90 * 3));

            // 61 minutes on, one more event: the hour holds it alone, and the buckets that left the span are deleted.
            clock.Advance(TimeSpan.FromMinutes(61));
            await PostAsync(restarted, random, "late");
            Assert.That((await restarted.MetricsJsonAsync())["deployments"]![0]!["windows"]!["1h"]!["count"]!.GetValue<long>(), Is.EqualTo(3));
            for (var i = 0; i < 200 && Scalar(stateDir, "SELECT count(*) FROM window_buckets") != 1; i++)
            {
                await Task.Delay(25);
            }

            Assert.That(Scalar(stateDir, "SELECT count(*) FROM window_buckets"), Is.EqualTo(1));
        }

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

    private static Task<long> RowsOnDiskAsync(string stateDir) => Task.FromResult(Scalar(stateDir, "SELECT coalesce(sum(row_count), 0) FROM window_chunks"));

    private static long Scalar(string stateDir, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(stateDir, "feedback-metrics.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
