using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Alerts;

/// <summary>
/// Several replicas on one Redis judge the same global figures: each lists the alert in its JSON view, but only the
/// replica holding the exporter lease posts the transition and writes <c>feedback_metrics_alert_firing</c>, so the
/// reply URL gets one alert event and a sum over the replicas' scrapes is 1, not one per replica.
/// </summary>
[Category("Redis")]
public sealed class AlertReplicaTests
{
    private const string AlertType = "io.seldon.serving.feedback.alert";

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

        // Both replicas have judged it firing for a while now: many rounds each, and still one event.
        await Task.Delay(TimeSpan.FromSeconds(1));
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
                break;
            }
        }

        var firing = 0.0;
        foreach (var replica in new[] { first, second })
        {
            firing += (await replica.PrometheusAsync()).Value("feedback_metrics_alert_firing", ("rule", "accuracy-drop")) ?? 0;
        }

        Assert.Multiple(() =>
        {
            Assert.That(alerts, Is.EqualTo(1), "one alert event, posted by the lease holder");
            Assert.That(firing, Is.EqualTo(1), "summed over the replicas");
        });
        Directory.Delete(dir, recursive: true);
    }
}
