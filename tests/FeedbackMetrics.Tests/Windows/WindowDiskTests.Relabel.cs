using FeedbackMetrics.Core.Windows;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Windows;

/// <summary>Relabels of rows in a time window's buckets: in memory, in the file, and after a restart.</summary>
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

        // In the file: the hour's one bucket (the minute the truths were counted) holds the three rows as relabelled.
        var bucket = WindowsOnDisk(stateDir)["1h"].Buckets.Single();
        Assert.Multiple(() =>
        {
            Assert.That(JournalRows(stateDir), Is.Zero);
            Assert.That(bucket.Index, Is.EqualTo(HourSpec.BucketIndex(Start.AddMinutes(1))));
            Assert.That(bucket.Count, Is.EqualTo(3));
            Assert.That(bucket.Cells, Is.EqualTo(new[] { (0, 1, 1L), (2, 0, 1L), (2, 2, 1L) }), "(truth, predicted, rows) by class position");
        });

        await using (var again = await StartAsync(clock, args, stateDir))
        {
            Assert.That(HourOf(await again.MetricsJsonAsync()), Is.EqualTo(hour));
        }

        Directory.Delete(stateDir, recursive: true);
    }

    private static readonly WindowSpec HourSpec = WindowSpec.Parse("1h");

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
