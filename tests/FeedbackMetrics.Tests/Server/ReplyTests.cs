using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

public sealed class ReplyTests
{
    [Test]
    public async Task Reply_is_retried_with_backoff_until_the_reply_url_accepts_it()
    {
        await using var listener = await ReplyListener.StartAsync(failFirst: 2);
        await using var server = await RunningServer.StartAsync(["--reply_url", listener.Url.ToString()]);
        await server.PostBinaryAsync(Events.SeedBody, id: "1", extensions: new Dictionary<string, string> { ["modelid"] = "m1" });

        var posted = await listener.NextAsync();

        Assert.That(posted.Headers["ce-specversion"], Is.EqualTo("1.0"));
        Assert.That(posted.Headers["ce-modelid"], Is.EqualTo("m1"));
        Assert.That(JsonNode.Parse(posted.Body)!["rows"]!.GetValue<int>(), Is.EqualTo(1));
        await WaitForAsync(async () => (await server.PrometheusAsync()).Value("feedback_metrics_replies_total", ("result", "sent")) == 1);
    }

    [Test]
    public async Task The_metric_event_of_a_1000_class_model_stays_small()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--max_classes", "1000"]);
        // A one-hot vector of width 1000 brings in all 1000 classes.
        (await server.PostBinaryAsync(Events.OneHot(1000, (0, 1)), id: "fill")).EnsureSuccessStatusCode();

        using var response = await server.PostBinaryAsync(Events.OneHot(1000, (7, 9)), id: "one");

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(JsonNode.Parse(body)!["summary"]!["classCount"]!.GetValue<int>(), Is.EqualTo(1000));
        Assert.That(body.Length, Is.LessThan(1500), "count, accuracy, averages and the two touched classes; no 1000 x 1000 matrix");
    }

    [Test]
    public async Task An_unreachable_reply_url_never_blocks_ingest_and_is_counted_as_failed()
    {
        // A port that was just free: nothing listens on it.
        var listener = await ReplyListener.StartAsync();
        var url = listener.Url;
        await listener.DisposeAsync();
        await using var server = await RunningServer.StartAsync(["--reply_url", url.ToString(), "--reply_retries", "1"]);

        using var response = await server.PostBinaryAsync(Events.SeedBody, id: "1");

        Assert.That(response.IsSuccessStatusCode, Is.True);
        await WaitForAsync(async () => (await server.PrometheusAsync()).Value("feedback_metrics_replies_total", ("result", "failed")) == 1);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 400; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        Assert.Fail("The condition did not become true in 10 s.");
    }
}
