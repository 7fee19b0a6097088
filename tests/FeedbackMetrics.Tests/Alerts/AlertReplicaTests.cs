using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Alerts;

/// <summary>
/// Several replicas on one Redis: only the replica holding the exporter lease judges the rules, posts the transition and
/// writes <c>feedback_metrics_alert_firing</c>, so the reply URL gets one alert event and a sum over the replicas' scrapes
/// is 1, not one per replica; every other replica lists what the holder found, with the same <c>since</c>. When the
/// lease moves, the new holder takes the alerts over and posts nothing again for what was firing already.
/// </summary>
[Category("Redis")]
public sealed class AlertReplicaTests
{
    private const string AlertType = "io.seldon.serving.feedback.alert";

    /// <summary>The alert events among what the reply URL got (metric events too), until none came for a second.</summary>
    private static async Task<int> AlertEventsPostedAsync(ReplyListener listener)
    {
        var alerts = 0;
        while (true)
        {
            try
            {
                var posted = await listener.NextAsync(TimeSpan.FromSeconds(1));
                alerts += posted.Headers["ce-type"] == AlertType ? 1 : 0;
            }
            catch (OperationCanceledException)
            {
                return alerts;
            }
        }
    }

    private static long Observations(System.Text.Json.Nodes.JsonObject view) =>
        view["alerts"]!.AsArray().SingleOrDefault()?["observations"]?.GetValue<long>() ?? 0;

    [Test]
    public async Task An_alert_is_listed_by_every_replica_and_posted_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-alerts", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var rules = Path.Combine(dir, "rules.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - {name: accuracy-drop, metric: accuracy, below: 0.8, min_observations: 4}\n");
        await using var redis = await RedisServer.StartAsync();
        await using var listener = await ReplyListener.StartAsync();
        string[] args = ["--state", redis.Url, "--alert_rules", rules, "--alert_interval", "00:00:00.100", "--reply_url", listener.Url.ToString()];
        await using var first = await RunningServer.StartAsync(args);
        await using var second = await RunningServer.StartAsync(args);

        var identity = new Dictionary<string, string> { ["namespace"] = "seldon", ["inferenceservicename"] = "income", ["endpoint"] = "default", ["modelid"] = "m" };
        for (var i = 0; i < 4; i++)
        {
            using var answer = await first.PostBinaryAsync(Events.OneHot(2, (1, i % 2 == 0 ? 1 : 0)), $"e{i}", extensions: identity);
            Assert.That((int)answer.StatusCode, Is.EqualTo(200));
        }

        foreach (var replica in new[] { first, second })
        {
            for (var i = 0; i < 200 && (await replica.MetricsJsonAsync())["alerts"]!.AsArray().Count == 0; i++)
            {
                await Task.Delay(50);
            }

            Assert.That((await replica.MetricsJsonAsync())["alerts"]!.AsArray().Single()!["rule"]!.GetValue<string>(), Is.EqualTo("accuracy-drop"));
        }

        // The holder has judged it firing for a while now: many rounds, and still one event.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var alerts = await AlertEventsPostedAsync(listener);

        var firing = 0.0;
        foreach (var replica in new[] { first, second })
        {
            firing += (await replica.PrometheusAsync()).Value("feedback_metrics_alert_firing", ("rule", "accuracy-drop")) ?? 0;
        }

        var since = (await first.MetricsJsonAsync())["alerts"]![0]!["since"]!.GetValue<string>();
        var sinceOnSecond = (await second.MetricsJsonAsync())["alerts"]![0]!["since"]!.GetValue<string>();
        Assert.Multiple(() =>
        {
            Assert.That(alerts, Is.EqualTo(1), "one alert event, posted by the lease holder");
            Assert.That(firing, Is.EqualTo(1), "summed over the replicas");
            Assert.That(sinceOnSecond, Is.EqualTo(since), "the replicas list the holder's alert");
        });

        // The holder stops (handing the lease over at once); a third replica starts. Two more wrong rows keep the alert
        // firing with a new reading: once the third replica lists 6 observations, the new holder has judged them.
        var (holder, other) = (await first.PrometheusAsync()).Value("feedback_metrics_model_series_exporter") == 1 ? (first, second) : (second, first);
        await holder.DisposeAsync();
        await using var third = await RunningServer.StartAsync(args);
        for (var i = 4; i < 6; i++)
        {
            using var answer = await other.PostBinaryAsync(Events.OneHot(2, (1, 0)), $"e{i}", extensions: identity);
            Assert.That((int)answer.StatusCode, Is.EqualTo(200));
        }

        for (var i = 0; i < 400 && Observations(await third.MetricsJsonAsync()) != 6; i++)
        {
            await Task.Delay(50);
        }

        Assert.That(Observations(await third.MetricsJsonAsync()), Is.EqualTo(6), "the new holder judged the new rows and passed them on");
        Assert.That((await third.MetricsJsonAsync())["alerts"]![0]!["since"]!.GetValue<string>(), Is.EqualTo(since), "the alert keeps its since across the handover");
        Assert.That(await AlertEventsPostedAsync(listener), Is.Zero, "nothing posted again for an alert that was firing already");
        Directory.Delete(dir, recursive: true);
    }
}
