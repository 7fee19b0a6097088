using System.Collections.Concurrent;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>Metric events for the reply URL are written with the counts they report and delivered at least once, across SIGKILL.</summary>
[Category("Crash")]
public sealed class OutboxTests
{
    private const int Events = 300;

    [Test]
    public async Task Every_acknowledged_events_metric_event_arrives_after_a_kill_with_the_reply_sink_down()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-outbox", Guid.NewGuid().ToString("N"));
        var expected = new ConcurrentDictionary<string, bool>();
        await using (var down = await ReplyListener.StartAsync(failFirst: int.MaxValue))
        await using (var server = await ServerProcess.StartAsync(stateDir, ["--reply_url", down.Url.ToString(), "--reply_retries", "0"]))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                using var response = await server.Client.PostAsync("/", Feedback(i));
                Assert.That((int)response.StatusCode, Is.EqualTo(200));
                expected[response.Headers.GetValues("ce-id").Single()] = true;
            });

            await server.KillAsync();
        }

        await using var up = await ReplyListener.StartAsync();
        await using var restarted = await ServerProcess.StartAsync(stateDir, ["--reply_url", up.Url.ToString()]);
        var arrived = new HashSet<string>();
        while (arrived.Count < Events)
        {
            var posted = await up.NextAsync(TimeSpan.FromSeconds(30));
            Assert.That(posted.Headers["ce-type"], Is.EqualTo("io.seldon.serving.feedback.metrics"));
            arrived.Add(posted.Headers["ce-id"]);
        }

        Assert.That(arrived, Is.EquivalentTo(expected.Keys), "each metric event arrives with the ce-id the broker was answered with");
        for (var i = 0; i < 200 && WaitingInOutbox(stateDir) > 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.That(WaitingInOutbox(stateDir), Is.Zero, "delivered metric events are forgotten, so a later restart does not send them again");
        Directory.Delete(stateDir, recursive: true);
    }

    private static long WaitingInOutbox(string stateDir)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(stateDir, "feedback-metrics.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM outbox";
        return (long)command.ExecuteScalar()!;
    }

    private static HttpContent Feedback(int i)
    {
        var content = new StringContent(Support.Events.OneHot(3, (i % 3, 2)), System.Text.Encoding.UTF8, "application/json");
        content.Headers.Add("ce-specversion", "1.0");
        content.Headers.Add("ce-type", Support.Events.FeedbackType);
        content.Headers.Add("ce-source", "outbox-test");
        content.Headers.Add("ce-id", $"event-{i}");
        return content;
    }
}
