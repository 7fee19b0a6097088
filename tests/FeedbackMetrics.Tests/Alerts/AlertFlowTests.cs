using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Tests.Alerts;

/// <summary>
/// Alerts end to end: a rules file, events that cross the threshold, and every place a transition is reported —
/// the alert CloudEvent at the reply URL, the JSON view, Prometheus, and a Kubernetes Event written through
/// KubernetesClient to a local endpoint standing in for the API server (none can run here).
/// </summary>
public sealed class AlertFlowTests
{
    private static readonly Dictionary<string, string> Income = new() { ["namespace"] = "seldon", ["inferenceservicename"] = "income", ["endpoint"] = "default", ["modelid"] = "m" };

    [Test]
    public async Task An_accuracy_drop_fires_everywhere_survives_a_bad_rules_file_and_resolves()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-alerts", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var rules = Path.Combine(dir, "rules.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - {name: accuracy-drop, metric: accuracy, below: 0.8, min_observations: 4}\n");
        await using var kubernetes = await FakeKubernetes.StartAsync();
        await using var listener = await ReplyListener.StartAsync();
        await using var server = await RunningServer.StartAsync(
        [
            "--state", "memory", "--alert_rules", rules, "--alert_interval", "00:00:00.100", "--reply_url", listener.Url.ToString(),
            "--kubernetes_events", "true", "--kubernetes_api", kubernetes.Url,
        ]);

        for (var i = 0; i < 4; i++)
        {
            var right = i % 2 == 0;
            using var r = await server.PostBinaryAsync(Events.OneHot(2, (1, right ? 1 : 0)), $"e{i}", extensions: Income);
            Assert.That((int)r.StatusCode, Is.EqualTo(200));
        }

        var fired = await NextAlertAsync(listener);
        Assert.That(fired["state"]!.GetValue<string>(), Is.EqualTo("firing"));
        Assert.That(fired["value"]!.GetValue<double>(), Is.EqualTo(0.5));
        Assert.That(fired["message"]!.GetValue<string>(), Does.Contain("accuracy over all rows is 0.5 on 4 rows, below 0.8"));
        var json = await server.MetricsJsonAsync();
        Assert.That(json["alerts"]!.AsArray().Single()!["rule"]!.GetValue<string>(), Is.EqualTo("accuracy-drop"));
        Assert.That((await server.PrometheusAsync()).Value("feedback_metrics_alert_firing", ("rule", "accuracy-drop"), ("deployment_name", "income")), Is.EqualTo(1));

        var written = await kubernetes.Events.Reader.ReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.That(written.Path, Is.EqualTo("/api/v1/namespaces/seldon/events"));
        Assert.That(written.Body["involvedObject"]!["kind"]!.GetValue<string>(), Is.EqualTo("InferenceService"), "no SeldonDeployment named income: the InferenceService is the model's object");
        Assert.That(written.Body["involvedObject"]!["uid"]!.GetValue<string>(), Is.EqualTo("uid-of-income"));
        Assert.That(written.Body["involvedObject"]!["apiVersion"]!.GetValue<string>(), Is.EqualTo("serving.kserve.io/v1beta1"));
        Assert.That((written.Body["type"]!.GetValue<string>(), written.Body["reason"]!.GetValue<string>()), Is.EqualTo(("Warning", "FeedbackAlertFiring")));
        Assert.That(written.Body["message"]!.GetValue<string>(), Does.Contain("accuracy over all rows is 0.5"));

        await File.WriteAllTextAsync(rules, "rules: [ {name: broken");
        await WaitAsync(async () => (await server.PrometheusAsync()).Value("feedback_metrics_alert_rules_file_errors_total") >= 1);
        Assert.That((await server.MetricsJsonAsync())["alerts"]!.AsArray(), Has.Count.EqualTo(1), "a bad file keeps the last good rules");

        await File.WriteAllTextAsync(rules, "rules:\n  - {name: accuracy-drop, metric: accuracy, below: 0.4, min_observations: 4}\n");
        var resolved = await NextAlertAsync(listener);
        Assert.That(resolved["state"]!.GetValue<string>(), Is.EqualTo("resolved"));
        var normal = await kubernetes.Events.Reader.ReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.That((normal.Body["type"]!.GetValue<string>(), normal.Body["reason"]!.GetValue<string>()), Is.EqualTo(("Normal", "FeedbackAlertResolved")));
        Assert.That((await server.MetricsJsonAsync())["alerts"]!.AsArray(), Is.Empty);
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public async Task A_window_whose_interval_falls_wholly_below_the_cumulative_accuracy_fires_and_says_both()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-alerts", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var rules = Path.Combine(dir, "rules.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - {name: beyond-noise, metric: accuracy, window: last_20, outside_interval: below, min_observations: 20}\n");
        await using var listener = await ReplyListener.StartAsync();
        await using var server = await RunningServer.StartAsync(
            ["--state", "memory", "--windows", "last_20", "--alert_rules", rules, "--alert_interval", "00:00:00.100", "--reply_url", listener.Url.ToString()]);

        // 200 right rows, then 20 rows of which 10 are wrong: last_20 is at 0.5 (95 % interval 0.30–0.70), all rows at 210/220.
        using (var r = await server.PostBinaryAsync(Events.OneHot(2, [.. Enumerable.Repeat((1, 1), 200)]), "history", extensions: Income))
        {
            Assert.That((int)r.StatusCode, Is.EqualTo(200));
        }

        using (var r = await server.PostBinaryAsync(Events.OneHot(2, [.. Enumerable.Range(0, 20).Select(i => (1, i % 2))]), "drop", extensions: Income))
        {
            Assert.That((int)r.StatusCode, Is.EqualTo(200));
        }

        var fired = await NextAlertAsync(listener);
        Assert.That(fired["state"]!.GetValue<string>(), Is.EqualTo("firing"));
        Assert.That(fired["comparison"]!.GetValue<string>(), Is.EqualTo("outside_interval_below"));
        Assert.That(fired["value"]!.GetValue<double>(), Is.EqualTo(0.5));
        Assert.That(fired["threshold"]!.GetValue<double>(), Is.EqualTo(210.0 / 220).Within(1e-12), "the cumulative accuracy");
        Assert.That(fired["interval"]!["high"]!.GetValue<double>(), Is.LessThan(210.0 / 220));
        Assert.That(fired["message"]!.GetValue<string>(), Does.Contain("accuracy over last_20 is 0.5 (95 % interval 0.299–0.701) on 20 rows, wholly below 0.955 over all rows"));
        Directory.Delete(dir, recursive: true);
    }

    private static async Task<JsonNode> NextAlertAsync(ReplyListener listener)
    {
        while (true)
        {
            var posted = await listener.NextAsync(TimeSpan.FromSeconds(10));
            if (posted.Headers["ce-type"] == "io.seldon.serving.feedback.alert")
            {
                Assert.That(posted.Headers["ce-inferenceservicename"], Is.EqualTo("income"));
                return JsonNode.Parse(posted.Body)!;
            }
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200 && !await condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.That(await condition(), Is.True);
    }

    /// <summary>Answers what KubernetesClient asks: no SeldonDeployment, an InferenceService, and records created Events.</summary>
    private sealed class FakeKubernetes : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeKubernetes(WebApplication app) => _app = app;

        public System.Threading.Channels.Channel<(string Path, JsonNode Body)> Events { get; } = System.Threading.Channels.Channel.CreateUnbounded<(string, JsonNode)>();

        public string Url => _app.Urls.First();

        public static async Task<FakeKubernetes> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var fake = new FakeKubernetes(app);
            app.MapGet("/apis/machinelearning.seldon.io/v1/namespaces/{ns}/seldondeployments/{name}", () =>
                Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", reason = "NotFound", code = 404 }, statusCode: 404));
            app.MapGet("/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices/{name}", (string ns, string name) =>
                Results.Json(new { apiVersion = "serving.kserve.io/v1beta1", kind = "InferenceService", metadata = new { name, @namespace = ns, uid = $"uid-of-{name}" } }));
            app.MapPost("/api/v1/namespaces/{ns}/events", async (HttpContext context) =>
            {
                var body = (await JsonNode.ParseAsync(context.Request.Body))!;
                await fake.Events.Writer.WriteAsync((context.Request.Path.Value!, body));
                return Results.Json(body, statusCode: 201);
            });
            await app.StartAsync();
            return fake;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
