using System.Net;
using System.Text;
using FeedbackMetrics.Tests.Support;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Tests.Durability;

public sealed class RestartTests
{
    private static string NewStateDir() => Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));

    private static string Batch(int first, int count, Random random)
    {
        var events = new StringBuilder("[");
        for (var i = first; i < first + count; i++)
        {
            var classes = 2 + (i % 4);
            var rows = Enumerable.Range(0, random.Next(1, 4)).Select(_ => (random.Next(classes), random.Next(classes))).ToArray();
            events.Append(i == first ? "" : ",").Append($$"""
                {"specversion":"1.0","type":"io.seldon.serving.feedback","source":"restart","id":"{{i}}",
                 "inferenceservicename":"model-{{i % 1000}}","namespace":"ns-{{i % 1000 % 7}}","data":{{Events.OneHot(classes, rows)}}}
                """);
        }

        return events.Append(']').ToString();
    }

    [Test]
    public async Task Restart_with_1000_keys_restores_every_json_figure_byte_for_byte()
    {
        var stateDir = NewStateDir();
        var random = new Random(3);
        string before;
        string seldonBefore;
        await using (var server = await RunningServer.StartAsync(stateDir: stateDir))
        {
            for (var first = 0; first < 3000; first += 500)
            {
                using var response = await server.PostRawAsync(Batch(first, 500, random), "application/cloudevents-batch+json");
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            before = await server.MetricsJsonTextAsync();
            seldonBefore = SeldonLines(await server.Client.GetStringAsync("/v1/metrics"));
        }

        await using (var server = await RunningServer.StartAsync(stateDir: stateDir))
        {
            Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray(), Has.Count.EqualTo(1000));
            Assert.That(await server.MetricsJsonTextAsync(), Is.EqualTo(before));
            Assert.That(SeldonLines(await server.Client.GetStringAsync("/v1/metrics")), Is.EqualTo(seldonBefore));

            using var again = await server.PostRawAsync(Batch(0, 10, new Random(3)), "application/cloudevents-batch+json");
            Assert.That(await again.Content.ReadAsStringAsync(), Does.Not.Contain("accepted"), "ids counted before the restart are remembered");
            Assert.That(await server.MetricsJsonTextAsync(), Is.EqualTo(before));
        }
    }

    [Test]
    public async Task Sigterm_drains_flushes_and_closes_the_database_cleanly()
    {
        var stateDir = NewStateDir();
        await using (var server = await ServerProcess.StartAsync(stateDir))
        {
            var sends = Enumerable.Range(0, 200).Select(async i =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Events.SeedBody, Encoding.UTF8, "application/json") };
                request.Headers.Add("ce-specversion", "1.0");
                request.Headers.Add("ce-type", Events.FeedbackType);
                request.Headers.Add("ce-source", "term");
                request.Headers.Add("ce-id", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await server.Client.SendAsync(request);
                return response.StatusCode;
            }).ToList();
            var statuses = await Task.WhenAll(sends);
            Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.OK));

            await server.TerminateAsync(TimeSpan.FromSeconds(25));
            Assert.That(server.ExitCode, Is.Zero, server.Output);
        }

        var wal = Path.Combine(stateDir, "feedback-metrics.db-wal");
        Assert.That(!File.Exists(wal) || new FileInfo(wal).Length == 0, Is.True, "the WAL was checkpointed on stop");
        await using var restarted = await RunningServer.StartAsync(stateDir: stateDir);
        Assert.That((await restarted.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(200));
    }

    [Test]
    public async Task A_state_file_of_a_later_version_is_refused_in_one_line()
    {
        var stateDir = NewStateDir();
        Directory.CreateDirectory(stateDir);
        ExecuteOnStateFile(stateDir, $"PRAGMA application_id = {FeedbackMetrics.Server.Storage.Sqlite.SqliteSchema.ApplicationId}; PRAGMA user_version = 99; CREATE TABLE journal(seq INTEGER PRIMARY KEY, changes BLOB);");

        var e = Assert.ThrowsAsync<InvalidOperationException>(async () => await ServerProcess.StartAsync(stateDir));
        Assert.That(e!.Message, Does.Contain("exited with 3").And.Contain("version 99").And.Contain($"this server reads version {FeedbackMetrics.Server.Storage.Sqlite.SqliteSchema.Version}").And.Contain("fresh --state_dir"));
        await Task.CompletedTask;
    }

    /// <summary>A state file as the pre-release servers left it (their schema, kept in PRAGMA user_version): refused, never half read.</summary>
    [Test]
    public async Task A_state_file_of_a_pre_release_server_is_refused_in_one_line_saying_to_start_afresh()
    {
        var stateDir = NewStateDir();
        Directory.CreateDirectory(stateDir);
        ExecuteOnStateFile(stateDir, """
            CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE keys(id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, deployment TEXT NOT NULL, predictor TEXT NOT NULL, model TEXT NOT NULL);
            INSERT INTO keys VALUES (1, 'ns', 'old', 'p', 'm');
            PRAGMA user_version = 9;
            """);

        var e = Assert.ThrowsAsync<InvalidOperationException>(async () => await ServerProcess.StartAsync(stateDir));
        Assert.That(e!.Message, Does.Contain("exited with 3").And.Contain("pre-release").And.Contain("schema 9").And.Contain("start with a fresh --state_dir"));
        Assert.That(Scalar(stateDir, "SELECT count(*) FROM keys"), Is.EqualTo(1), "the file is left as it was");
        await Task.CompletedTask;
    }

    private static long Scalar(string stateDir, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(stateDir, "feedback-metrics.db")};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Writes to a state file directly, as another tool or an older server would have.</summary>
    private static void ExecuteOnStateFile(string stateDir, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(stateDir, "feedback-metrics.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string SeldonLines(string prometheus) =>
        string.Join('\n', prometheus.Split('\n').Where(l => l.StartsWith("seldon_", StringComparison.Ordinal) || l.StartsWith("feedback_metrics_confusion", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
}
