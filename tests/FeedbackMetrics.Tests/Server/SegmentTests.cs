using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// Segments (<c>--segment_by</c>) from the outside, on real senders' bytes: the Seldon executor's feedback of the
/// metrics-server notebook with a <c>ce-region</c> extension (a Knative source or a sender's own CloudEvents client adds
/// such attributes; the broker delivers every extension), Seldon's own <c>meta.tags</c> (the Elasticsearch notebook's
/// labelling call carries them), and the KServe agent's <c>metadata</c> extension with an allow-listed request header.
/// Each segment's figures are checked against a count of the rows sent.
/// </summary>
public sealed class SegmentTests
{
    private const string CorrectTruth = "[[0,0,1]]";
    private const string WrongTruth = "[[1,0,0]]";

    [Test]
    public async Task Feedback_is_counted_per_region_with_each_value_s_figures_and_the_gap_between_them()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--segment_by", "region", "--windows", "last_100"]);

        // eu: 20 of 20 right; us: 5 of 20 right. Wilson 95 %: eu [0.839, 1], us [0.112, 0.469]: apart.
        for (var i = 0; i < 20; i++)
        {
            Assert.That(await SendFeedbackAsync(server, $"eu-{i}", "eu", CorrectTruth), Is.EqualTo(200));
            Assert.That(await SendFeedbackAsync(server, $"us-{i}", "us", i < 5 ? CorrectTruth : WrongTruth), Is.EqualTo(200));
        }

        Assert.That(await SendFeedbackAsync(server, "none-1", region: null, CorrectTruth), Is.EqualTo(200), "an event without the extension is counted for its model only");

        var model = Model(await server.MetricsJsonAsync());
        Assert.That(model["count"]!.GetValue<long>(), Is.EqualTo(41));
        var regions = model["segments"]!["region"]!.AsObject();
        Assert.That(regions.Select(r => r.Key), Is.EqualTo(new[] { "eu", "us" }));
        Assert.That((Count(regions["eu"]!), Accuracy(regions["eu"]!)), Is.EqualTo((20L, 1.0)));
        Assert.That((Count(regions["us"]!), Accuracy(regions["us"]!)), Is.EqualTo((20L, 0.25)));
        Assert.That(regions["us"]!["accuracyInterval"]!["high"]!.GetValue<double>(), Is.EqualTo(0.4688).Within(1e-3), "Wilson's upper bound of 5 of 20");
        Assert.That(regions["us"]!["windows"]!["last_100"]!["count"]!.GetValue<long>(), Is.EqualTo(20));
        Assert.That(regions["eu"]!["confusionMatrix"]![2]![2]!.GetValue<long>(), Is.EqualTo(20));

        var gap = model["segmentGaps"]!["region"]!["accuracy"]!;
        Assert.That(
            (gap["max"]!.GetValue<double>(), gap["min"]!.GetValue<double>(), gap["gap"]!.GetValue<double>(), gap["apart"]!.GetValue<bool>(), gap["maxValue"]!.GetValue<string>(), gap["minValue"]!.GetValue<string>()),
            Is.EqualTo((1.0, 0.25, 0.75, true, "eu", "us")));
        Assert.That(model["segmentGaps"]!["region"]!["positiveRate"], Is.Null, "three classes: no positive class");
        Assert.That(model["segmentGaps"]!["region"]!["recall"], Is.Not.Null, "three classes: the macro recall");

        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_segment_rows", ("window", "all"), ("segment", "region"), ("value", "us")), Is.EqualTo(20));
        Assert.That(prometheus.Value("feedback_metrics_segment_accuracy_ratio", ("window", "last_100"), ("segment", "region"), ("value", "us")), Is.EqualTo(0.25));
        Assert.That(prometheus.Value("feedback_metrics_segment_gap", ("segment", "region"), ("figure", "accuracy")), Is.EqualTo(0.75));
        Assert.That(prometheus.Value("feedback_metrics_segment_gap_apart", ("segment", "region"), ("figure", "accuracy")), Is.EqualTo(1));
    }

    [Test]
    public async Task Values_past_max_segment_values_are_counted_under_other_and_left_out_of_the_gaps()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--segment_by", "region", "--max_segment_values", "2"]);
        string[] regions = ["eu", "us", "asia", "af", "eu", "asia"];
        for (var i = 0; i < regions.Length; i++)
        {
            Assert.That(await SendFeedbackAsync(server, $"e{i}", regions[i], i == 0 ? WrongTruth : CorrectTruth), Is.EqualTo(200));
        }

        var model = Model(await server.MetricsJsonAsync());
        var values = model["segments"]!["region"]!.AsObject();
        Assert.That(values.ToDictionary(v => v.Key, v => Count(v.Value!)), Is.EqualTo(new Dictionary<string, long> { ["eu"] = 2, ["other"] = 3, ["us"] = 1 }));
        var gap = model["segmentGaps"]!["region"]!["accuracy"]!;
        Assert.That((gap["maxValue"]!.GetValue<string>(), gap["minValue"]!.GetValue<string>()), Is.EqualTo(("us", "eu")), "other (all 3 right) is not a value of its own");
    }

    [Test]
    public async Task A_logged_response_keeps_its_request_header_segment_for_the_truth_that_joins_it()
    {
        // The KServe agent puts the request headers its logger allow-lists (LoggerSpec metadataHeaders) in the metadata
        // extension, as JSON of Go-canonical names and value lists; here X-Region, on the agent's real response bytes.
        var fixture = RealSenderFixture.Load("kserve-agent/response-open-inference-protocol");
        var response = fixture with { Headers = [.. fixture.Headers.Select(h => h.Key == "Ce-Metadata" ? KeyValuePair.Create(h.Key, """{"X-Region":["eu-west-1"]}""") : h)] };
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--segment_by", "metadata.X-Region"]);
        using (var request = response.ToRequest())
        using (var answer = await server.Client.SendAsync(request))
        {
            Assert.That((int)answer.StatusCode, Is.EqualTo(202));
        }

        var joined = await JoinReplicas.SendTruthAsync(server.Client, "kserve-test", "sklearn-irisv2", """
            {"truth": {"outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}]}}
            """, requestId: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", id: "label-1");

        Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
        var region = Model(await server.MetricsJsonAsync())["segments"]!["metadata.X-Region"]!.AsObject();
        Assert.That(region.Select(v => (v.Key, Count(v.Value!), Accuracy(v.Value!))), Is.EqualTo(new[] { ("eu-west-1", 2L, 0.5) }), "the truth carries no header: the response's value counts both rows");
    }

    [Test]
    public async Task A_truth_s_own_tags_count_where_its_response_has_none_and_the_response_s_win_where_both_have_one()
    {
        // The Elasticsearch notebook's labelling call: a truth-only feedback with meta.tags {"user": "Seldon Admin", …}.
        var truth = RealSenderFixture.Load("seldon-executor/feedback-truth-only-elasticsearch-notebook");
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--segment_by", "tags.user,region"]);
        using (var request = truth.ToRequest())
        {
            request.Headers.Add("Ce-Region", "from-truth");
            using var parked = await server.Client.SendAsync(request);
            Assert.That((int)parked.StatusCode, Is.EqualTo(202));
        }

        // Its response, as the executor logs it (the payload-logging capture's shape, this request's identity), with a region of its own.
        using var response = new HttpRequestMessage(HttpMethod.Post, "/")
        {
            Content = new StringContent("""{"data":{"names":["t:0","t:1","t:2"],"ndarray":[[0.1,0.2,0.7]]},"meta":{}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in truth.Headers.Where(h => h.Key is not ("Content-Type" or "Ce-Id" or "Ce-Type")))
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        response.Headers.Add("Ce-Id", "response-of-f8b21985");
        response.Headers.Add("Ce-Type", "io.seldon.serving.inference.response");
        response.Headers.Add("Ce-Region", "from-response");
        using var joined = await server.Client.SendAsync(response);
        Assert.That((int)joined.StatusCode, Is.EqualTo(202), await joined.Content.ReadAsStringAsync());

        var segments = Model(await server.MetricsJsonAsync())["segments"]!;
        Assert.That(segments["tags.user"]!.AsObject().Select(v => (v.Key, Count(v.Value!))), Is.EqualTo(new[] { ("Seldon Admin", 1L) }));
        Assert.That(segments["region"]!.AsObject().Select(v => (v.Key, Count(v.Value!))), Is.EqualTo(new[] { ("from-response", 1L) }));
    }

    [TestCase("""{"team": ["a", "b"]}""", "Segment 'tags.team' is a JSON array in meta.tags")]
    [TestCase("""{"team": ""}""", "Segment 'tags.team' has an empty value")]
    public async Task A_value_that_cannot_be_a_segment_is_refused_with_its_reason_and_nothing_is_counted(string tags, string reason)
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--segment_by", "tags.team"]);
        var fixture = RealSenderFixture.Load("seldon-executor/feedback-ndarray-metrics-server-notebook");
        var tagged = fixture with { Body = fixture.Body.Replace("{\"response\": {", "{\"response\": {\"meta\": {\"tags\": " + tags + "}, ", StringComparison.Ordinal) };

        using var request = tagged.ToRequest();
        using var answer = await server.Client.SendAsync(request);

        Assert.That((int)answer.StatusCode, Is.EqualTo(400));
        Assert.That(await answer.Content.ReadAsStringAsync(), Does.Contain(reason));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task A_value_longer_than_128_characters_is_refused()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--segment_by", "region"]);
        Assert.That(await SendFeedbackAsync(server, "long", new string('r', 129), CorrectTruth), Is.EqualTo(400));
        Assert.That(await SendFeedbackAsync(server, "long-enough", new string('r', 128), CorrectTruth), Is.EqualTo(200));
    }

    [Test]
    public async Task A_logged_response_whose_value_cannot_be_a_segment_is_acknowledged_and_not_kept()
    {
        var fixture = RealSenderFixture.Load("kserve-agent/response-open-inference-protocol");
        var response = fixture with { Headers = [.. fixture.Headers, KeyValuePair.Create("Ce-Region", new string('r', 129))] };
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--segment_by", "region"]);
        using (var request = response.ToRequest())
        using (var answer = await server.Client.SendAsync(request))
        {
            Assert.That((int)answer.StatusCode, Is.EqualTo(202), "response logs come from every model: a refusal would only fill the dead-letter sink");
        }

        var truth = await JoinReplicas.SendTruthAsync(server.Client, "kserve-test", "sklearn-irisv2", """
            {"truth": {"outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}]}}
            """, requestId: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", id: "label-1");
        Assert.That(truth.Status, Is.EqualTo(202), "no response was kept, so the truth is parked, not joined");
        Assert.That((await server.PrometheusAsync()).Value("feedback_metrics_ignored_events_total", ("type", "org.kubeflow.serving.inference.response")), Is.EqualTo(1));
    }

    [Test]
    public async Task A_batch_with_one_event_whose_value_has_a_control_character_is_refused_whole()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--segment_by", "region"]);
        var fixture = RealSenderFixture.Load("seldon-executor/feedback-ndarray-metrics-server-notebook");
        var data = JsonNode.Parse(fixture.Body)!;
        JsonObject Event(string id, string region) => new()
        {
            ["specversion"] = "1.0",
            ["type"] = "io.seldon.serving.feedback",
            ["source"] = "http://:8000/",
            ["id"] = id,
            ["inferenceservicename"] = "multiclass-model",
            ["namespace"] = "seldon",
            ["region"] = region,
            ["datacontenttype"] = "application/json",
            ["data"] = data.DeepClone(),
        };

        using var answer = await server.PostRawAsync(new JsonArray(Event("ok", "eu"), Event("bad", "e\u0007u")).ToJsonString(), "application/cloudevents-batch+json");

        Assert.That((int)answer.StatusCode, Is.EqualTo(400));
        Assert.That(await answer.Content.ReadAsStringAsync(), Does.Contain("Segment 'region' contains a control").And.Contain("The whole batch was refused"));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Segments_come_back_after_a_kill_and_a_restart_on_the_same_state()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-segments", Guid.NewGuid().ToString("N"));
        string before;
        await using (var server = await ServerProcess.StartAsync(stateDir, new[] { "--segment_by", "region" }))
        {
            for (var i = 0; i < 30; i++)
            {
                Assert.That(await SendFeedbackAsync(server.Client, $"r{i}", i % 3 == 0 ? "eu" : "us", i % 4 == 0 ? WrongTruth : CorrectTruth), Is.EqualTo(200));
            }

            before = Model(JsonNode.Parse(await server.Client.GetStringAsync("/v1/metrics?format=json"))!.AsObject())["segments"]!.ToJsonString();
            await server.KillAsync();
        }

        await using var restarted = await ServerProcess.StartAsync(stateDir, new[] { "--segment_by", "region" });
        var after = Model(JsonNode.Parse(await restarted.Client.GetStringAsync("/v1/metrics?format=json"))!.AsObject())["segments"]!.ToJsonString();
        Assert.That(after, Is.EqualTo(before));
        Assert.That(restarted.Output, Does.Contain("Segments: each model's figures are kept also per value of [region], at most 20 values of each (later ones as other)"));
        Assert.That(after, Does.Contain("\"eu\"").And.Contain("\"us\""));
    }

    [TestCase("--segment_by Region", "'Region' is not a segment name (--segment_by)")]
    [TestCase("--segment_by region,region", "'region' is named twice (--segment_by)")]
    [TestCase("--segment_by id", "'id' is not a segment name (--segment_by)")]
    [TestCase("--max_segment_values 0", "0 is out of range (--max_segment_values)")]
    [TestCase("--max_segment_values 101", "101 is out of range (--max_segment_values): give a whole number from 1 to 100")]
    public async Task A_bad_segment_option_fails_at_start_up_with_its_name(string arguments, string message)
    {
        var (code, _, stderr) = await ServerProcess.RunToExitAsync(["--http_port", "0", "--bind_address", "127.0.0.1", "--state", "memory", .. arguments.Split(' ')]);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain(message));
    }

    [Test]
    [Category("Redis")]
    public async Task Replicas_on_redis_share_every_value_s_figures_and_a_replica_started_later_loads_them()
    {
        await using var redis = await RedisServer.StartAsync();
        string[] args = ["--state", redis.Url, "--redis_prefix", "segments", "--redis_refresh_interval", "00:00:00.100", "--segment_by", "region", "--max_segment_values", "2"];
        var dir = Path.Combine(Path.GetTempPath(), "fm-segment-replicas-unused");
        var replicas = new List<ServerProcess> { await ServerProcess.StartAsync(dir, args), await ServerProcess.StartAsync(dir, args) };
        try
        {
            // eu: 10 of 10 right through the first replica; us: 2 of 10 right through the second; ap past the cap of 2.
            for (var i = 0; i < 10; i++)
            {
                Assert.That(await SendFeedbackAsync(replicas[0].Client, $"eu-{i}", "eu", CorrectTruth), Is.EqualTo(200));
                Assert.That(await SendFeedbackAsync(replicas[1].Client, $"us-{i}", "us", i < 2 ? CorrectTruth : WrongTruth), Is.EqualTo(200));
            }

            Assert.That(await SendFeedbackAsync(replicas[0].Client, "ap-1", "ap", CorrectTruth), Is.EqualTo(200));
            Assert.That(await SendFeedbackAsync(replicas[1].Client, "eu-0", "eu", CorrectTruth), Is.EqualTo(202), "a redelivery through the other replica: acknowledged, not counted again");
            replicas.Add(await ServerProcess.StartAsync(dir, args));

            var shown = new List<string>();
            for (var attempt = 0; attempt < 100; attempt++)
            {
                shown = [];
                foreach (var replica in replicas)
                {
                    var model = Model(JsonNode.Parse(await replica.Client.GetStringAsync("/v1/metrics?format=json"))!.AsObject());
                    shown.Add(model["segments"]!.ToJsonString() + model["segmentGaps"]!.ToJsonString());
                }

                if (shown.Distinct().Count() == 1 && shown[0].Contains("\"other\"", StringComparison.Ordinal))
                {
                    break;
                }

                await Task.Delay(100);
            }

            Assert.That(shown.Distinct().ToList(), Has.Count.EqualTo(1), "every replica shows the same segments");
            var regions = Model(JsonNode.Parse(await replicas[2].Client.GetStringAsync("/v1/metrics?format=json"))!.AsObject())["segments"]!["region"]!.AsObject();
            Assert.That(regions.Select(r => r.Key), Is.EquivalentTo(new[] { "eu", "us", "other" }));
            Assert.That((Count(regions["eu"]!), Accuracy(regions["eu"]!)), Is.EqualTo((10L, 1.0)), "the redelivery was a duplicate");
            Assert.That((Count(regions["us"]!), Accuracy(regions["us"]!)), Is.EqualTo((10L, 0.2)));
            Assert.That(Count(regions["other"]!), Is.EqualTo(1L), "a third value past the cap of 2, decided once for every replica");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private static Task<int> SendFeedbackAsync(RunningServer server, string id, string? region, string truth) => SendFeedbackAsync(server.Client, id, region, truth);

    /// <summary>The metrics-server notebook's feedback as the executor logs it, under its own id, with a region and a truth.</summary>
    private static async Task<int> SendFeedbackAsync(HttpClient client, string id, string? region, string truth)
    {
        var fixture = RealSenderFixture.Load("seldon-executor/feedback-ndarray-metrics-server-notebook");
        var headers = fixture.Headers.Select(h => h.Key == "Ce-Id" ? KeyValuePair.Create(h.Key, id) : h).ToList();
        if (region is not null)
        {
            headers.Add(KeyValuePair.Create("Ce-Region", region));
        }

        var sent = fixture with { Headers = headers, Body = fixture.Body.Replace("\"truth\":{\"data\": {\"ndarray\": [[0,0,1]]}}", $"\"truth\":{{\"data\": {{\"ndarray\": {truth}}}}}", StringComparison.Ordinal) };
        using var request = sent.ToRequest();
        using var response = await client.SendAsync(request);
        return (int)response.StatusCode;
    }

    private static JsonNode Model(JsonObject json) => json["deployments"]!.AsArray().Single()!;

    private static long Count(JsonNode figures) => figures["count"]!.GetValue<long>();

    private static double Accuracy(JsonNode figures) => figures["accuracy"]!.GetValue<double>();
}
