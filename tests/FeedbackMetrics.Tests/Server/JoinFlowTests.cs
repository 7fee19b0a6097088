using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// Late truth end to end: the real senders' response events (Seldon executor, KServe agent V1 and Open Inference
/// Protocol), then a truth-only feedback with the request id, over HTTP against a real server.
/// </summary>
public sealed class JoinFlowTests
{
    private static readonly string[] Memory = ["--state", "memory"];

    private static async Task<(int Status, string Body, string? CeType)> SendAsync(RunningServer server, RealSenderFixture fixture)
    {
        using var request = fixture.ToRequest();
        using var response = await server.Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.TryGetValues("ce-type", out var t) ? t.Single() : null);
    }

    /// <summary>A truth-only feedback as a labelling job sends it later: binary mode, its own id, the model's identity.</summary>
    private static Task<(int Status, string Body, string? CeType)> SendTruthAsync(RunningServer server, string ns, string deployment, string body, string? requestId = null, string id = "label-1") =>
        JoinReplicas.SendTruthAsync(server.Client, ns, deployment, body, requestId, id);

    private static async Task<JsonNode?> DeploymentAsync(RunningServer server, string ns, string deployment)
    {
        var json = JsonNode.Parse(await server.MetricsJsonTextAsync())!;
        return json["deployments"]!.AsArray().SingleOrDefault(d => d!["namespace"]!.GetValue<string>() == ns && d["deployment"]!.GetValue<string>() == deployment && d["count"]!.GetValue<long>() > 0);
    }

    [Test]
    public async Task Seldon_response_event_then_truth_with_its_requestid_is_counted_under_the_response_model()
    {
        await using var server = await RunningServer.StartAsync(Memory);
        var stored = await SendAsync(server, RealSenderFixture.Load("seldon-executor/response-tensor-sklearnserver"));
        Assert.That((stored.Status, stored.Body), Is.EqualTo((202, "")));

        var joined = await SendTruthAsync(server, "seldon", "multiclass-model", """{"truth": {"data": {"ndarray": [[0, 0, 1]]}}}""", requestId: "hello");
        var counted = await DeploymentAsync(server, "seldon", "multiclass-model");
        Assert.Multiple(() =>
        {
            Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
            Assert.That(joined.CeType, Is.EqualTo("io.seldon.serving.feedback.metrics"));
            Assert.That(counted!["predictor"]!.GetValue<string>(), Is.EqualTo("default"), "the response's predictor, not the truth's");
            Assert.That(counted["model"]!.GetValue<string>(), Is.EqualTo("classifier"));
            Assert.That(counted["count"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(counted["accuracy"]!.GetValue<double>(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task KServe_v1_response_is_joined_by_its_X_Request_Id_and_row_by_row()
    {
        await using var server = await RunningServer.StartAsync(Memory);
        Assert.That((await SendAsync(server, RealSenderFixture.Load("kserve-agent/request-v1-instances"))).Status, Is.EqualTo(202));
        Assert.That((await SendAsync(server, RealSenderFixture.Load("kserve-agent/response-v1-predictions"))).Status, Is.EqualTo(202));

        var joined = await SendTruthAsync(server, "kserve-test", "sklearn-iris", """{"truth": {"predictions": [1, 0]}}""", requestId: "e2c3a9f0-7d41-4b6e-9f55-1a8c3d2b0e64");
        var counted = await DeploymentAsync(server, "kserve-test", "sklearn-iris");
        Assert.Multiple(() =>
        {
            Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
            Assert.That(counted!["count"]!.GetValue<long>(), Is.EqualTo(2));
            Assert.That(counted["accuracy"]!.GetValue<double>(), Is.EqualTo(0.5));
        });
    }

    [Test]
    public async Task KServe_response_labelled_with_a_form_content_type_is_kept_as_its_body_is_JSON()
    {
        await using var server = await RunningServer.StartAsync(Memory);
        var stored = await SendAsync(server, RealSenderFixture.Load("kserve-agent/response-v1-curl-form-content-type"));
        var joined = await SendTruthAsync(server, "kserve-test", "sklearn-iris", """{"truth": {"predictions": [1, 0]}}""", requestId: "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d");
        Assert.Multiple(() =>
        {
            Assert.That((stored.Status, stored.Body), Is.EqualTo((202, "")));
            Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
        });
    }

    [Test]
    public async Task KServe_open_inference_protocol_response_is_joined_by_the_ce_id_it_shares_with_its_request()
    {
        await using var server = await RunningServer.StartAsync(Memory);
        await SendAsync(server, RealSenderFixture.Load("kserve-agent/request-open-inference-protocol"));
        await SendAsync(server, RealSenderFixture.Load("kserve-agent/response-open-inference-protocol"));

        // The labeller knows the id the agent gave the request, and sends it as meta.puid.
        var joined = await SendTruthAsync(server, "kserve-test", "sklearn-irisv2", """
            {"truth": {"outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}]},
             "meta": {"puid": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"}}
            """);
        var counted = await DeploymentAsync(server, "kserve-test", "sklearn-irisv2");
        Assert.Multiple(() =>
        {
            Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
            Assert.That(counted!["count"]!.GetValue<long>(), Is.EqualTo(2));
            Assert.That(counted["accuracy"]!.GetValue<double>(), Is.EqualTo(0.5));
        });
    }

    [Test]
    public async Task Truth_before_its_response_is_parked_then_counted_and_reported_to_the_reply_url()
    {
        await using var listener = await ReplyListener.StartAsync();
        await using var server = await RunningServer.StartAsync([.. Memory, "--reply_url", listener.Url.ToString()]);
        var parked = await SendAsync(server, RealSenderFixture.Load("seldon-executor/feedback-truth-only-elasticsearch-notebook"));
        Assert.That((parked.Status, parked.Body), Is.EqualTo((202, "")));
        Assert.That(await DeploymentAsync(server, "seldon", "multiclass-model"), Is.Null);

        // The model's response to that request, logged by the executor (the fixture's body, the feedback's request id).
        var response = RealSenderFixture.Load("seldon-executor/response-tensor-sklearnserver");
        var headers = response.Headers.Select(h => h.Key == "Ce-Requestid" ? KeyValuePair.Create(h.Key, "f8b21985-8687-4bb8-a94c-4fac362eb34c") : h).ToList();
        var stored = await SendAsync(server, response with { Headers = headers });
        var metricEvent = await listener.NextAsync();
        var counted = await DeploymentAsync(server, "seldon", "multiclass-model");
        Assert.Multiple(() =>
        {
            Assert.That((stored.Status, stored.Body), Is.EqualTo((202, "")), "the response's sender gets an empty answer");
            Assert.That(metricEvent.Headers["ce-type"], Is.EqualTo("io.seldon.serving.feedback.metrics"));
            Assert.That(counted!["count"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(counted["accuracy"]!.GetValue<double>(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_redelivered_response_is_acknowledged_and_its_truth_counted_once()
    {
        await using var server = await RunningServer.StartAsync(Memory);
        var response = RealSenderFixture.Load("kserve-agent/response-docs-capture-2021");
        await SendAsync(server, response);
        var again = await SendAsync(server, response);
        var joined = await SendTruthAsync(server, "default", "sklearn-iris", """{"truth": {"predictions": [1, 1]}}""", requestId: "0009174a-24a8-4603-b098-09c8799950e9");
        var twice = await SendTruthAsync(server, "default", "sklearn-iris", """{"truth": {"predictions": [1, 1]}}""", requestId: "0009174a-24a8-4603-b098-09c8799950e9", id: "label-2");
        var counted = await DeploymentAsync(server, "default", "sklearn-iris");
        Assert.Multiple(() =>
        {
            Assert.That((again.Status, again.Body), Is.EqualTo((202, "")));
            Assert.That(joined.Status, Is.EqualTo(200));
            Assert.That((twice.Status, twice.Body), Is.EqualTo((202, "")), "the same truth again changes nothing");
            Assert.That(counted!["count"]!.GetValue<long>(), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task A_pending_response_survives_a_restart_and_joins_its_truth_after_it()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        await using (var first = await RunningServer.StartAsync(stateDir: stateDir))
        {
            Assert.That((await SendAsync(first, RealSenderFixture.Load("kserve-agent/response-v1-predictions"))).Status, Is.EqualTo(202));
        }

        await using var second = await RunningServer.StartAsync(stateDir: stateDir);
        var joined = await SendTruthAsync(second, "kserve-test", "sklearn-iris", """{"truth": {"predictions": [1, 1]}}""", requestId: "e2c3a9f0-7d41-4b6e-9f55-1a8c3d2b0e64");
        Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
        Assert.That((await DeploymentAsync(second, "kserve-test", "sklearn-iris"))!["accuracy"]!.GetValue<double>(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_truth_only_feedback_without_a_request_id_is_refused_with_the_reason()
    {
        await using var server = await RunningServer.StartAsync(Memory);
        var refused = await SendTruthAsync(server, "ns", "d", """{"truth": {"data": {"ndarray": [[1]]}}}""");
        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(400));
            Assert.That(refused.Body, Does.Contain("requestid").And.Contain("meta.puid"));
        });
    }
}
