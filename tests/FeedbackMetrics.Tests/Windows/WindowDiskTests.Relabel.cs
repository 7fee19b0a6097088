using System.Globalization;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using FeedbackMetrics.Server.Storage;
using FeedbackMetrics.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Windows;

/// <summary>Relabels of rows in a time window's buckets, and a state file from before bucket states.</summary>
public sealed partial class WindowDiskTests
{
    private const string ResponseType = "io.seldon.serving.inference.response";

    private static readonly Dictionary<string, string> Identity = new() { ["namespace"] = "ns", ["inferenceservicename"] = "iris", ["endpoint"] = "default", ["modelid"] = "clf" };

    [Test]
    public async Task A_row_relabelled_after_it_was_counted_moves_in_the_hour_and_the_restarted_server_shows_the_same_hour()
    {
        var clock = new FakeTimeProvider(Start);
        var stateDir = NewStateDir();
        string[] args = ["--windows", "1h"];
        string hour;
        await using (var server = await StartAsync(clock, args, stateDir))
        {
            // Three responses, their truths a minute later (counted then, in that minute's bucket), a relabel 5 minutes on.
            await JoinPostAsync(server, """{"data": {"ndarray": [[0.8, 0.1, 0.1]]}}""", "resp-a", ResponseType, "a");
            await JoinPostAsync(server, """{"data": {"ndarray": [[0.1, 0.8, 0.1]]}}""", "resp-b", ResponseType, "b");
            await JoinPostAsync(server, """{"data": {"ndarray": [[0.1, 0.1, 0.8]]}}""", "resp-c", ResponseType, "c");
            clock.Advance(TimeSpan.FromMinutes(1));
            await TruthAsync(server, "t-a", "a", 0);
            await TruthAsync(server, "t-b", "b", 1);
            await TruthAsync(server, "t-c", "c", 2);
            clock.Advance(TimeSpan.FromMinutes(5));
            await TruthAsync(server, "t-a2", "a", 2);
            hour = HourOf(await server.MetricsJsonAsync());
            Assert.That(MatrixOf(await server.MetricsJsonAsync()), Is.EqualTo("[[0,0,0],[0,1,0],[1,0,1]]"), "a moved from (0, 0) to (2, 0)");
        }

        await using (var restarted = await StartAsync(clock, args, stateDir))
        {
            Assert.That(HourOf(await restarted.MetricsJsonAsync()), Is.EqualTo(hour), "the 1h figures as before the restart");

            // A relabel after the restart moves the row in the bucket restored from the file.
            await TruthAsync(restarted, "t-b2", "b", 0);
            Assert.That(MatrixOf(await restarted.MetricsJsonAsync()), Is.EqualTo("[[0,1,0],[0,0,0],[1,0,1]]"));
            hour = HourOf(await restarted.MetricsJsonAsync());
        }

        await using (var again = await StartAsync(clock, args, stateDir))
        {
            Assert.That(HourOf(await again.MetricsJsonAsync()), Is.EqualTo(hour));
        }

        Directory.Delete(stateDir, recursive: true);
    }

    [Test]
    public async Task A_state_file_of_schema_6_with_window_rows_opens_with_its_hour_intact()
    {
        var stateDir = NewStateDir();
        Directory.CreateDirectory(stateDir);
        var random = new Random(8);
        var rows = new List<CountedRow>();
        var sums = new ProbabilitySums();
        var matrix = new long[9];
        for (var i = 0; i < 60; i++)
        {
            var (truth, predicted) = (random.Next(3), random.Next(3));
            var scored = new ScoredRow(random.NextDouble() * 2, random.NextDouble(), 0.34 + (random.NextDouble() * 0.66), truth == predicted, random.Next(2) == 0, 2);
            rows.Add(new CountedRow(new RowStamp(i, Start.AddSeconds(30 * i)), new WindowRow(truth, predicted, scored)));
            sums.Add(scored);
            matrix[(truth * 3) + predicted]++;
        }

        WriteVersion6File(stateDir, rows, sums, matrix);

        // 40 minutes after the first row: every row is in the hour; last_10 holds the last 10.
        var clock = new FakeTimeProvider(Start.AddMinutes(40));
        string[] args = ["--windows", "last_10,1h"];
        string hour;
        await using (var server = await StartAsync(clock, args, stateDir))
        {
            var json = await server.MetricsJsonAsync();
            var d = json["deployments"]![0]!;
            var h = d["windows"]!["1h"]!;
            Assert.That(h["count"]!.GetValue<long>(), Is.EqualTo(60));
            Assert.That(h["confusionMatrix"]!.ToJsonString(), Is.EqualTo(d["confusionMatrix"]!.ToJsonString()), "all rows are in the hour");
            Assert.That(h["probabilistic"]!["logLoss"]!.GetValue<double>(), Is.EqualTo(sums.LogLossSum / 60).Within(1e-12));
            Assert.That(d["windows"]!["last_10"]!["count"]!.GetValue<long>(), Is.EqualTo(10));
            hour = HourOf(json);
        }

        Assert.That(Scalar(stateDir, "SELECT count(*) FROM window_buckets WHERE window_name = '1h'"), Is.EqualTo(30), "the rows' 30 minutes, written once as buckets");
        Assert.That(Scalar(stateDir, "SELECT count(*) FROM meta WHERE name = 'buckets_from_rows'"), Is.Zero, "turned into buckets once");
        await using (var restarted = await StartAsync(clock, args, stateDir))
        {
            Assert.That(HourOf(await restarted.MetricsJsonAsync()), Is.EqualTo(hour), "from the buckets now, the same hour");

            // The next write prunes the rows to what last_10 needs (from sequence 50: the chunk of 30 to 59 stays).
            var old = new Dictionary<string, string> { ["namespace"] = "ns", ["inferenceservicename"] = "old", ["endpoint"] = "p", ["modelid"] = "m" };
            using var answer = await restarted.PostBinaryAsync(Events.OneHot(3, (0, 0)), "after-upgrade", extensions: old);
            answer.EnsureSuccessStatusCode();
            for (var i = 0; i < 200 && Scalar(stateDir, "SELECT count(*) FROM window_chunks WHERE first_seq = 0") > 0; i++)
            {
                await Task.Delay(25);
            }

            Assert.That(Scalar(stateDir, "SELECT coalesce(sum(row_count), 0) FROM window_chunks"), Is.EqualTo(31));
            Assert.That((await restarted.MetricsJsonAsync())["deployments"]![0]!["windows"]!["1h"]!["count"]!.GetValue<long>(), Is.EqualTo(61));
        }

        Directory.Delete(stateDir, recursive: true);
    }

    /// <summary>A state file as a schema-6 server leaves it: the old migrations, one model, its cells, sums and window rows.</summary>
    private static void WriteVersion6File(string stateDir, List<CountedRow> rows, ProbabilitySums sums, long[] matrix)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(stateDir, SqliteStateFile.FileName)};Pooling=False");
        connection.Open();
        connection.CreateFunction("fm_event_hash", (string source, string id, string type, long high) => 0L);
        using var command = connection.CreateCommand();
        command.CommandText = string.Concat(SqliteStateFile.Migrations.Take(6)) + """
            PRAGMA user_version = 6;
            INSERT INTO keys(id, namespace, deployment, predictor, model, probabilities) VALUES (1, 'ns', 'old', 'p', 'm', $sums);
            INSERT INTO classes VALUES (1, 0, 'CLASS_0'), (1, 1, 'CLASS_1'), (1, 2, 'CLASS_2');
            INSERT INTO window_chunks(key_id, first_seq, last_seq, last_at, row_count, rows) VALUES (1, 0, 29, $at1, 30, $rows1), (1, 30, 59, $at2, 30, $rows2);
            """;
        command.Parameters.AddWithValue("$sums", ProbabilitySumsBlob.Write(sums));
        command.Parameters.AddWithValue("$at1", rows[29].Stamp.CountedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$at2", rows[59].Stamp.CountedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$rows1", WindowRowsBlob.Write(rows[..30]));
        command.Parameters.AddWithValue("$rows2", WindowRowsBlob.Write(rows[30..]));
        command.ExecuteNonQuery();
        for (var cell = 0; cell < 9; cell++)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO cells(key_id, truth, predicted, count) VALUES (1, $t, $p, $n)";
            insert.Parameters.AddWithValue("$t", "CLASS_" + (cell / 3).ToString(CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$p", "CLASS_" + (cell % 3).ToString(CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$n", matrix[cell]);
            insert.ExecuteNonQuery();
        }
    }

    private static string HourOf(System.Text.Json.Nodes.JsonObject json) => json["deployments"]![0]!["windows"]!["1h"]!.ToJsonString();

    private static string MatrixOf(System.Text.Json.Nodes.JsonObject json) => json["deployments"]![0]!["windows"]!["1h"]!["confusionMatrix"]!.ToJsonString();

    private static Task TruthAsync(RunningServer server, string id, string requestId, int truth) =>
        JoinPostAsync(server, "{\"truth\": {\"data\": {\"ndarray\": [[" + truth + "]]}}}", id, Events.FeedbackType, requestId);

    private static async Task JoinPostAsync(RunningServer server, string body, string id, string type, string requestId)
    {
        using var answer = await server.PostBinaryAsync(body, id, type, extensions: new Dictionary<string, string>(Identity) { ["requestid"] = requestId });
        Assert.That((int)answer.StatusCode, Is.AnyOf(200, 202), $"{id}: {await answer.Content.ReadAsStringAsync()}");
    }
}
