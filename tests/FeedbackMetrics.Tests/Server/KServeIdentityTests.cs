using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// Which model a KServe agent's events are about: namespace from Ce-Namespace, deployment from
/// Ce-Inferenceservicename, predictor from Ce-Endpoint when it is not empty, else Ce-Component, model from the Open
/// Inference Protocol response's model_name (the agent sends no modelid). Replayed from the agent's real bytes.
/// </summary>
public sealed class KServeIdentityTests
{
    private static readonly string[] Memory = ["--state", "memory"];

    [Test]
    public async Task A_logged_open_inference_protocol_response_counts_its_truth_under_the_component_and_the_model_name_of_its_body()
    {
        await using var server = await RunningServer.StartAsync(Memory);
        var response = RealSenderFixture.Load("kserve-agent/response-open-inference-protocol");
        Assert.That(Header(response, "Ce-Endpoint"), Is.Empty, "the agent sends the endpoint present and empty");
        Assert.That(await SendAsync(server, response), Is.EqualTo(202));

        var joined = await JoinReplicas.SendTruthAsync(server.Client, "kserve-test", "sklearn-irisv2", """
            {"truth": {"outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}]},
             "meta": {"puid": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"}}
            """, requestId: null, id: "label-1");

        Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
        var counted = Counted(await server.MetricsJsonAsync());
        Assert.That(Identity(counted), Is.EqualTo(("kserve-test", "sklearn-irisv2", "predictor", "iris-classifier")), "the labeller's identity names no predictor or model: the response's key counts");
        Assert.That(counted["count"]!.GetValue<long>(), Is.EqualTo(2));
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("seldon_metric_true_positive_total", ("predictor_name", "predictor"), ("model_name", "iris-classifier"), ("class", "CLASS_1")), Is.EqualTo(1));
    }

    [Test]
    public async Task A_logged_v1_response_names_no_model_so_its_rows_count_under_the_component_and_unknown()
    {
        await using var server = await RunningServer.StartAsync(Memory);
        Assert.That(await SendAsync(server, RealSenderFixture.Load("kserve-agent/response-v1-predictions")), Is.EqualTo(202));

        var joined = await JoinReplicas.SendTruthAsync(server.Client, "kserve-test", "sklearn-iris", """{"truth": {"predictions": [1, 0]}}""", "e2c3a9f0-7d41-4b6e-9f55-1a8c3d2b0e64", "label-1");

        Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
        Assert.That(Identity(Counted(await server.MetricsJsonAsync())), Is.EqualTo(("kserve-test", "sklearn-iris", "predictor", "unknown")));
    }

    [Test]
    public async Task An_endpoint_that_is_not_empty_names_the_predictor_before_the_component()
    {
        // agent_injector.go passes --endpoint from the pod's endpoint label when one is set (kserve/kserve
        // pkg/webhook/admission/pod/agent_injector.go); the agent then sends it beside Ce-Component.
        var fixture = RealSenderFixture.Load("kserve-agent/response-v1-predictions");
        var canary = fixture with { Headers = [.. fixture.Headers.Select(h => h.Key == "Ce-Endpoint" ? KeyValuePair.Create(h.Key, "canary") : h)] };
        await using var server = await RunningServer.StartAsync(Memory);
        Assert.That(await SendAsync(server, canary), Is.EqualTo(202));

        var joined = await JoinReplicas.SendTruthAsync(server.Client, "kserve-test", "sklearn-iris", """{"truth": {"predictions": [1, 1]}}""", "e2c3a9f0-7d41-4b6e-9f55-1a8c3d2b0e64", "label-1");

        Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
        Assert.That(Identity(Counted(await server.MetricsJsonAsync())), Is.EqualTo(("kserve-test", "sklearn-iris", "canary", "unknown")));
    }

    [Test]
    public async Task The_model_name_of_a_response_names_the_model_before_a_modelid_extension()
    {
        var fixture = RealSenderFixture.Load("kserve-agent/feedback-open-inference-protocol-labeller");
        var withModelId = fixture with { Headers = [.. fixture.Headers, KeyValuePair.Create("Ce-Modelid", "from-extension")] };
        await using var server = await RunningServer.StartAsync(Memory);

        Assert.That(await SendAsync(server, withModelId), Is.EqualTo(200));
        Assert.That(Identity(Counted(await server.MetricsJsonAsync())), Is.EqualTo(("kserve-test", "sklearn-irisv2", "predictor", "sklearn-irisv2")));
    }

    [Test]
    public async Task A_model_name_that_cannot_be_a_label_is_refused_with_the_reason()
    {
        var fixture = RealSenderFixture.Load("kserve-agent/feedback-open-inference-protocol-labeller");
        var tooLong = fixture with { Body = fixture.Body.Replace("\"model_name\":\"sklearn-irisv2\"", $"\"model_name\":\"{new string('m', 300)}\"", StringComparison.Ordinal) };
        await using var server = await RunningServer.StartAsync(Memory);

        using var request = tooLong.ToRequest();
        using var answer = await server.Client.SendAsync(request);

        Assert.That((int)answer.StatusCode, Is.EqualTo(400));
        Assert.That(await answer.Content.ReadAsStringAsync(), Does.Contain("model (model_name of the response) is 300 characters long"));
    }

    private static async Task<int> SendAsync(RunningServer server, RealSenderFixture fixture)
    {
        using var request = fixture.ToRequest();
        using var response = await server.Client.SendAsync(request);
        return (int)response.StatusCode;
    }

    private static string Header(RealSenderFixture fixture, string name) =>
        fixture.Headers.Single(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static JsonNode Counted(JsonObject json) =>
        json["deployments"]!.AsArray().Single(d => d!["count"]!.GetValue<long>() > 0)!;

    private static (string, string, string, string) Identity(JsonNode d) =>
        (d["namespace"]!.GetValue<string>(), d["deployment"]!.GetValue<string>(), d["predictor"]!.GetValue<string>(), d["model"]!.GetValue<string>());
}
