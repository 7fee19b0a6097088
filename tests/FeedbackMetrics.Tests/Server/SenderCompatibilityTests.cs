using System.Net;
using System.Text;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>What real senders put on the wire beyond the spec's examples: odd sources, shared ids, empty extensions, rewards, batches that hit a limit.</summary>
public sealed class SenderCompatibilityTests
{
    private static readonly Dictionary<string, string> Seldon = new()
    {
        ["namespace"] = "seldon",
        ["inferenceservicename"] = "multiclass-model",
        ["endpoint"] = "default",
        ["modelid"] = "classifier",
        ["requestid"] = "de4283a1-2f1c-4b8e-9d61-1a2b3c4d5e6f",
        ["protocol"] = "seldon",
        ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };

    [TestCase("http://:8000/")]
    [TestCase("sklearn-iris-predictor-00001-deployment-7c9b8d6f5-x2x4z")]
    [TestCase("/relative/reference?x=1#frag")]
    [TestCase("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66")]
    public async Task Every_source_RFC_3986_allows_is_accepted_in_every_mode(string source)
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        using var binary = await server.PostBinaryAsync(Events.SeedBody, "b", source: source, extensions: Seldon);
        using var structured = await server.PostRawAsync(Structured(source, "s"), "application/cloudevents+json");
        using var batch = await server.PostRawAsync("[" + Structured(source, "b1") + "," + Structured(source, "b2") + "]", "application/cloudevents-batch+json");

        Assert.That((int)binary.StatusCode, Is.EqualTo(200), await binary.Content.ReadAsStringAsync());
        Assert.That((int)structured.StatusCode, Is.EqualTo(200), await structured.Content.ReadAsStringAsync());
        Assert.That((int)batch.StatusCode, Is.EqualTo(200), await batch.Content.ReadAsStringAsync());
        Assert.That(await batch.Content.ReadAsStringAsync(), Does.Contain(System.Text.Json.JsonSerializer.Serialize(source)), "the batch answer names the source as sent");
    }

    [TestCase("http:// space/")]
    [TestCase("1abc:no-scheme-starts-with-a-digit")]
    [TestCase("a#b#c")]
    [TestCase("bad%zzescape")]
    public async Task A_source_that_is_not_a_URI_reference_is_refused_with_a_reason(string source)
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        using var response = await server.PostRawAsync(Structured(source, "x"), "application/cloudevents+json");
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("URI-reference"));
    }

    [Test]
    public async Task The_source_is_compared_byte_for_byte_and_redelivery_needs_the_same_type()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--feedback_types", "io.seldon.serving.feedback,org.example.truth"]);
        using var first = await server.PostBinaryAsync(Events.SeedBody, "1", source: "http://:8000/");
        using var otherSource = await server.PostBinaryAsync(Events.SeedBody, "1", source: "http://:8000");
        using var otherType = await server.PostBinaryAsync(Events.SeedBody, "1", type: "org.example.truth", source: "http://:8000/");
        using var redelivery = await server.PostBinaryAsync(Events.SeedBody, "1", source: "http://:8000/");

        Assert.That(
            new[] { first.StatusCode, otherSource.StatusCode, otherType.StatusCode, redelivery.StatusCode },
            Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Accepted }));
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(3));
    }

    [Test]
    public async Task Seldon_executor_event_with_nanosecond_time_is_counted_and_the_reply_echoes_its_extensions()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        var request = new HttpRequestMessage(HttpMethod.Post, "/")
        {
            Content = new StringContent(
                """{"request":{"data":{"ndarray":[[5.1,3.5,1.4,0.2]]}},"response":{"data":{"names":["t:0","t:1","t:2"],"ndarray":[[0.9,0.08,0.02]]},"meta":{"requestPath":{"classifier":"seldonio/sklearn-iris:0.3"}}},"reward":1.0,"truth":{"data":{"names":["t:0","t:1","t:2"],"ndarray":[[1,0,0]]}}}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-id", "5f1d2c3b-7a8e-4f60-9b1c-2d3e4f5a6b7c");
        request.Headers.Add("ce-type", "io.seldon.serving.feedback");
        request.Headers.Add("ce-source", "http://:8000/");
        request.Headers.Add("ce-time", "2026-01-09T10:34:16.123456789Z");
        foreach (var (name, value) in Seldon)
        {
            request.Headers.Add("ce-" + name, value);
        }

        using var response = await server.Client.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        foreach (var (name, value) in Seldon)
        {
            Assert.That(response.Headers.GetValues("ce-" + name).Single(), Is.EqualTo(value), name);
        }

        var deployment = (await server.MetricsJsonAsync())["deployments"]![0]!;
        Assert.That(deployment["namespace"]!.GetValue<string>(), Is.EqualTo("seldon"));
        Assert.That(deployment["accuracy"]!.GetValue<double>(), Is.EqualTo(1.0));
        Assert.That(deployment["reward"]!["total"]!.GetValue<double>(), Is.EqualTo(1.0));
    }

    [Test]
    public async Task The_dotnet_CloudEvents_SDK_parses_the_metric_event_we_answer_with()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        using var response = await server.PostBinaryAsync(Events.SeedBody, "sdk", source: "http://:8000/", extensions: new Dictionary<string, string> { ["modelid"] = "a%20model%20with%20%22quotes%22%20%C3%A9" });

        var parsed = await CloudNative.CloudEvents.Http.HttpClientExtensions.ToCloudEventAsync(response, new CloudNative.CloudEvents.SystemTextJson.JsonEventFormatter());

        Assert.That(parsed.Type, Is.EqualTo("io.seldon.serving.feedback.metrics"));
        Assert.That(parsed.Source?.OriginalString, Is.EqualTo("io.seldon.serving.feedback"));
        Assert.That(parsed["modelid"], Is.EqualTo("a model with \"quotes\" é"), "decoded on the way in, percent-encoded on the way out, decoded by the SDK");
        Assert.That(parsed.Time, Is.Not.Null);
        Assert.That(((System.Text.Json.JsonElement)parsed.Data!).GetProperty("rows").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_percent_sign_that_starts_no_escape_is_kept_as_sent()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        using var response = await server.PostBinaryAsync(Events.SeedBody, "1", extensions: new Dictionary<string, string> { ["inferenceservicename"] = "canary-10%", ["modelid"] = "a%20b" });

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        var deployment = (await server.MetricsJsonAsync())["deployments"]![0]!;
        Assert.That(deployment["deployment"]!.GetValue<string>(), Is.EqualTo("canary-10%"), "Go's SDK sends values unencoded");
        Assert.That(deployment["model"]!.GetValue<string>(), Is.EqualTo("a b"), "a valid escape is decoded, as the HTTP binding says");
    }

    [Test]
    public async Task Empty_extension_values_count_as_absent()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Events.SeedBody, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in new[] { ("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-type", Events.FeedbackType), ("ce-source", "http://localhost:9081/"), ("ce-inferenceservicename", "iris"), ("ce-namespace", "kserve"), ("ce-endpoint", ""), ("ce-component", "predictor") })
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await server.Client.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        var deployment = (await server.MetricsJsonAsync())["deployments"]![0]!;
        Assert.That(deployment["predictor"]!.GetValue<string>(), Is.EqualTo("predictor"), "the empty endpoint is absent, so the component names the predictor");
        Assert.That(response.Headers.Contains("ce-endpoint"), Is.False, "an empty extension is not echoed");
    }

    [Test]
    public async Task A_batch_that_hits_a_limit_midway_counts_nothing_and_sends_no_metric_event()
    {
        await using var listener = await ReplyListener.StartAsync();
        await using var server = await RunningServer.StartAsync(["--max_keys", "2", "--reply_url", listener.Url.ToString()]);
        var events = new[] { "a", "b", "c" }.Select((d, i) => Structured("s", $"e{i}", d));

        using var response = await server.PostRawAsync("[" + string.Join(",", events) + "]", "application/cloudevents-batch+json");

        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(422), body);
        Assert.That(body, Does.Contain("--max_keys").And.Contain("nothing was counted"));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray(), Is.Empty);
        Assert.That(async () => await listener.NextAsync(TimeSpan.FromSeconds(1)), Throws.InstanceOf<OperationCanceledException>(), "no metric event for a refused batch");
        using var again = await server.PostRawAsync("[" + Structured("s", "e0", "a") + "," + Structured("s", "e1", "b") + "]", "application/cloudevents-batch+json");
        Assert.That((int)again.StatusCode, Is.EqualTo(200), "the events of the refused batch were not remembered as counted");
    }

    [Test]
    public async Task Invalid_UTF_8_in_a_field_the_server_never_reads_is_refused_and_changes_nothing()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        var body = Encoding.UTF8.GetBytes(Events.SeedBody[..^1] + ", \"meta\": {\"note\": \"X\"}}");
        body[Array.LastIndexOf(body, (byte)'X')] = 0xFF;
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        foreach (var (name, value) in new[] { ("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-type", Events.FeedbackType), ("ce-source", "s") })
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await server.Client.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("UTF-8"));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Rewards_are_summed_per_model_in_Prometheus_and_JSON_and_survive_a_restart()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        await using (var server = await RunningServer.StartAsync(stateDir: stateDir))
        {
            foreach (var (id, value) in new[] { ("1", "1.0"), ("2", "0.5"), ("3", "null") })
            {
                using var r = await server.PostBinaryAsync(Events.SeedBody[..^1] + $", \"reward\": {value}}}", id);
                Assert.That((int)r.StatusCode, Is.EqualTo(200));
            }
        }

        await using var restarted = await RunningServer.StartAsync(stateDir: stateDir);
        var reward = (await restarted.MetricsJsonAsync())["deployments"]![0]!["reward"]!;
        Assert.That((reward["total"]!.GetValue<double>(), reward["events"]!.GetValue<long>(), reward["mean"]!.GetValue<double>()), Is.EqualTo((1.5, 2L, 0.75)));
        var prometheus = await restarted.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_reward_total"), Is.EqualTo(1.5));
        Assert.That(prometheus.Value("feedback_metrics_rewarded_events_total"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_deployment_with_its_own_decoder_counts_in_its_own_scheme_beside_the_default()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--deployment_decoders", "seldon/income=BinaryMetrics:0.3"]);
        using var binary = await server.PostBinaryAsync("""{"truth": [[1], [0]], "response": [[0.4], [0.2]]}""", "1", extensions: new Dictionary<string, string> { ["namespace"] = "seldon", ["inferenceservicename"] = "income" });
        using var multiclass = await server.PostBinaryAsync(Events.SeedBody, "2", extensions: new Dictionary<string, string> { ["namespace"] = "seldon", ["inferenceservicename"] = "iris" });

        Assert.That((binary.StatusCode, multiclass.StatusCode), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("seldon_metric_true_positive_total", ("deployment_name", "income")), Is.EqualTo(1), "0.4 ≥ 0.3 is positive: a true positive, no class label");
        Assert.That(prometheus.Value("seldon_metric_true_negative_total", ("deployment_name", "income")), Is.EqualTo(1));
        Assert.That(prometheus.Value("seldon_metric_true_positive_total", ("deployment_name", "iris"), ("class", "CLASS_2")), Is.EqualTo(1));
    }

    [Test]
    public async Task A_bad_per_deployment_decoder_stops_the_server_at_start()
    {
        Assert.That(async () => await RunningServer.StartAsync(["--state", "memory", "--deployment_decoders", "income=BinaryMetrics"]), Throws.Exception.With.Message.Contains("--deployment_decoders"));
    }

    private static string Structured(string source, string id, string deployment = "d") =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["specversion"] = "1.0",
            ["id"] = id,
            ["source"] = source,
            ["type"] = Events.FeedbackType,
            ["inferenceservicename"] = deployment,
            ["datacontenttype"] = "application/json",
            ["data"] = System.Text.Json.JsonDocument.Parse(Events.SeedBody).RootElement,
        });
}
