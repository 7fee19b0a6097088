using System.Net;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace FeedbackMetrics.Tests.Server;

/// <summary>The user story of the core issue: Seldon's arguments and environment, Seldon's feedback event, every output checked.</summary>
public sealed class EndToEndTests
{
    private static readonly string[] SeldonArgs =
    [
        "--model_name", "multiclassserver", "--protocol", "seldonfeedback.http",
        "--storage_uri", "adserver.cm_models.multiclass_one_hot.MulticlassOneHot",
        "--event_type", "io.seldon.serving.feedback.metrics", "--event_source", "io.seldon.serving.feedback", "MetricsServer",
    ];

    private static Task<RunningServer> StartSeldonLikeAsync(ReplyListener? listener = null) =>
        RunningServer.StartAsync(
            [.. SeldonArgs, .. listener is null ? Array.Empty<string>() : ["--reply_url", listener.Url.ToString()]],
            builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SELDON_DEPLOYMENT_ID"] = "multiclass-model",
                ["PREDICTOR_ID"] = "default",
                ["PREDICTIVE_UNIT_ID"] = "classifier",
            }));

    [Test]
    public async Task Seldons_feedback_event_shows_up_in_prometheus_json_and_the_reply()
    {
        await using var listener = await ReplyListener.StartAsync();
        await using var server = await StartSeldonLikeAsync(listener);

        using var response = await server.PostBinaryAsync(Events.SeedBody, id: "1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("ce-type").Single(), Is.EqualTo("io.seldon.serving.feedback.metrics"));
        Assert.That(response.Headers.GetValues("ce-source").Single(), Is.EqualTo("io.seldon.serving.feedback"));
        Assert.That(response.Headers.GetValues("ce-specversion").Single(), Is.EqualTo("1.0"));
        var replyBody = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.That(replyBody["metrics"]!.ToJsonString(), Is.EqualTo("""[{"key":"seldon_metric_true_positive","type":"COUNTER","value":1,"tags":{"class":"CLASS_2"}}]"""));
        Assert.That(replyBody["summary"]!["confusionMatrix"], Is.Null, "the reply never carries the whole matrix");
        Assert.That(replyBody["summary"]!["classCount"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That(replyBody["summary"]!["touched"]!.AsArray().Select(c => c!["class"]!.GetValue<string>()), Is.EqualTo(new[] { "CLASS_2" }));

        var prometheus = await server.PrometheusAsync();
        Assert.That(
            prometheus.Value(
                "seldon_metric_true_positive_total",
                ("class", "CLASS_2"),
                ("deployment_name", "multiclass-model"),
                ("predictor_name", "default"),
                ("model_name", "classifier"),
                ("seldon_deployment_name", "multiclass-model"),
                ("seldon_deployment_namespace", "unknown"),
                ("method", "io.seldon.serving.feedback.metrics")),
            Is.EqualTo(1));

        var json = await server.MetricsJsonAsync();
        var deployment = json["deployments"]![0]!;
        Assert.That(deployment["deployment"]!.GetValue<string>(), Is.EqualTo("multiclass-model"));
        Assert.That(deployment["classes"]!.ToJsonString(), Is.EqualTo("""["CLASS_0","CLASS_1","CLASS_2"]"""));
        Assert.That(deployment["accuracy"]!.GetValue<double>(), Is.EqualTo(1.0));
        Assert.That(deployment["count"]!.GetValue<long>(), Is.EqualTo(1));

        var posted = await listener.NextAsync();
        Assert.That(posted.Headers["ce-type"], Is.EqualTo("io.seldon.serving.feedback.metrics"));
        Assert.That(posted.Headers["ce-id"], Is.EqualTo(response.Headers.GetValues("ce-id").Single()), "the posted and the returned reply are one event");
        Assert.That(posted.Headers["content-type"], Does.StartWith("application/json"));
        Assert.That(JsonNode.Parse(posted.Body)!["summary"]!["count"]!.GetValue<long>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Accept_header_asks_for_the_json_view()
    {
        await using var server = await StartSeldonLikeAsync();
        await server.PostBinaryAsync(Events.SeedBody, id: "1");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/metrics");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await server.Client.SendAsync(request);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
        Assert.That(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["deployments"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Protocol_health_and_readiness_answer()
    {
        await using var server = await StartSeldonLikeAsync();
        Assert.That(await server.Client.GetStringAsync("/protocol"), Is.EqualTo("seldonfeedback.http"));
        Assert.That((await server.Client.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await server.Client.GetAsync("/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Redelivered_event_is_acknowledged_but_counted_once()
    {
        await using var server = await StartSeldonLikeAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await server.PostBinaryAsync(Events.SeedBody, id: "same");
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted }));
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("seldon_metric_true_positive_total", ("class", "CLASS_2")), Is.EqualTo(1));
        Assert.That(prometheus.Value("feedback_metrics_events_total", ("outcome", "duplicate")), Is.EqualTo(4));
        Assert.That(prometheus.Value("feedback_metrics_events_total", ("outcome", "accepted")), Is.EqualTo(1));
    }

    [Test]
    public async Task Other_event_types_are_acknowledged_without_reply_and_counted_by_type()
    {
        await using var server = await StartSeldonLikeAsync();
        using var response = await server.PostBinaryAsync(Events.SeedBody, id: "1", type: "io.seldon.serving.feedback.metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(response.Headers.Contains("ce-type"), Is.False);
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_ignored_events_total", ("type", "io.seldon.serving.feedback.metrics")), Is.EqualTo(1));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Identity_extensions_override_environment_defaults_and_are_copied_to_the_reply()
    {
        await using var server = await StartSeldonLikeAsync();
        using var response = await server.PostBinaryAsync(Events.SeedBody, id: "1", extensions: new Dictionary<string, string>
        {
            ["inferenceservicename"] = "iris",
            ["endpoint"] = "canary",
            ["namespace"] = "models",
            ["modelid"] = "iris-v2",
            ["requestid"] = "r-42",
        });
        Assert.That(response.Headers.GetValues("ce-inferenceservicename").Single(), Is.EqualTo("iris"));
        Assert.That(response.Headers.GetValues("ce-requestid").Single(), Is.EqualTo("r-42"));
        var deployment = (await server.MetricsJsonAsync())["deployments"]![0]!;
        Assert.That(
            (deployment["namespace"]!.GetValue<string>(), deployment["deployment"]!.GetValue<string>(), deployment["predictor"]!.GetValue<string>(), deployment["model"]!.GetValue<string>()),
            Is.EqualTo(("models", "iris", "canary", "iris-v2")));
    }

    [Test]
    public async Task One_server_keeps_many_keys_apart()
    {
        await using var server = await RunningServer.StartAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            await server.PostBinaryAsync(Events.SeedBody, id: name, extensions: new Dictionary<string, string> { ["inferenceservicename"] = name });
        }

        var json = await server.MetricsJsonAsync();
        Assert.That(json["deployments"]!.AsArray().Select(d => d!["deployment"]!.GetValue<string>()), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(json["deployments"]!.AsArray().Select(d => d!["namespace"]!.GetValue<string>()), Is.All.EqualTo("unknown"));
        var filtered = JsonNode.Parse(await server.Client.GetStringAsync("/v1/metrics?format=json&deployment=b"))!;
        Assert.That(filtered["deployments"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Binary_decoder_counts_without_class_labels()
    {
        await using var server = await RunningServer.StartAsync(["--storage_uri", "adserver.cm_models.binary_metrics.BinaryMetrics"]);
        await server.PostBinaryAsync(Events.Body("[0.9, 0.2, 0.7, 0.1]", "[1, 1, 0, 0]"), id: "1");
        var prometheus = await server.PrometheusAsync();
        foreach (var counter in new[] { "true_positive", "false_negative", "false_positive", "true_negative" })
        {
            var sample = prometheus.Find($"seldon_metric_{counter}_total").Single();
            Assert.That(sample.Value, Is.EqualTo(1), counter);
            Assert.That(sample.Labels.ContainsKey("class"), Is.False);
        }
    }
}
