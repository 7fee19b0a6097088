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
    public async Task A_state_file_from_a_newer_server_is_refused_with_a_clear_message()
    {
        var stateDir = NewStateDir();
        Directory.CreateDirectory(stateDir);
        ExecuteOnStateFile(stateDir, "PRAGMA user_version = 99;");

        var e = Assert.ThrowsAsync<InvalidOperationException>(async () => await ServerProcess.StartAsync(stateDir));
        Assert.That(e!.Message, Does.Contain("exited with 3").And.Contain("schema version 99").And.Contain("newer server"));
    }

    [Test]
    public async Task An_older_state_file_is_migrated_and_keeps_its_figures()
    {
        var stateDir = NewStateDir();
        Directory.CreateDirectory(stateDir);
        ExecuteOnStateFile(stateDir, FeedbackMetrics.Server.Storage.SqliteStateFile.Migrations[0] + """
            PRAGMA user_version = 1;
            INSERT INTO keys(id, namespace, deployment, predictor, model) VALUES (1, 'ns', 'old', 'p', 'm');
            INSERT INTO classes VALUES (1, 0, 'CLASS_0'), (1, 1, 'CLASS_1');
            INSERT INTO cells VALUES (1, 'CLASS_0', 'CLASS_0', 3), (1, 'CLASS_1', 'CLASS_0', 1);
            """);

        await using (var server = await RunningServer.StartAsync(stateDir: stateDir))
        {
            var deployment = (await server.MetricsJsonAsync())["deployments"]![0]!;
            Assert.That(deployment["confusionMatrix"]!.ToJsonString(), Is.EqualTo("[[3,0],[1,0]]"));
            Assert.That(deployment["accuracy"]!.GetValue<double>(), Is.EqualTo(0.75));
        }

        await using var check = new SqliteConnection($"Data Source={Path.Combine(stateDir, "feedback-metrics.db")};Pooling=False");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version;";
        Assert.That((long)version.ExecuteScalar()!, Is.EqualTo(FeedbackMetrics.Server.Storage.SqliteStateFile.CurrentVersion));
    }

    [Test]
    public async Task Ids_remembered_by_a_version_2_file_still_swallow_their_redeliveries_after_migration()
    {
        var stateDir = NewStateDir();
        Directory.CreateDirectory(stateDir);
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        ExecuteOnStateFile(stateDir, FeedbackMetrics.Server.Storage.SqliteStateFile.Migrations[0] + FeedbackMetrics.Server.Storage.SqliteStateFile.Migrations[1] + $$"""
            PRAGMA user_version = 2;
            INSERT INTO keys(id, namespace, deployment, predictor, model) VALUES (1, 'ns', 'old', 'p', 'm');
            INSERT INTO classes VALUES (1, 0, 'CLASS_0'), (1, 1, 'CLASS_1'), (1, 2, 'CLASS_2');
            INSERT INTO cells VALUES (1, 'CLASS_2', 'CLASS_2', 1);
            INSERT INTO seen_events VALUES ('http://:8000/', 'counted-before', {{expires}});
            """);
        var identity = new Dictionary<string, string> { ["namespace"] = "ns", ["inferenceservicename"] = "old", ["endpoint"] = "p", ["modelid"] = "m" };

        await using var server = await RunningServer.StartAsync(stateDir: stateDir);
        using var redelivered = await server.PostBinaryAsync(Events.SeedBody, "counted-before", source: "http://:8000/", extensions: identity);
        using var fresh = await server.PostBinaryAsync(Events.SeedBody, "new-one", source: "http://:8000/", extensions: identity);

        Assert.That((int)redelivered.StatusCode, Is.EqualTo(202), "the id an older server remembered is still a redelivery");
        Assert.That((int)fresh.StatusCode, Is.EqualTo(200));
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(2));
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
