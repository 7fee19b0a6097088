using System.Net;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>The three CloudEvents HTTP modes and both spec versions, end to end.</summary>
public sealed class CloudEventModeTests
{
    private static string Structured(string id, string specVersion = "1.0", string? data = null) => $$"""
        {"specversion": "{{specVersion}}", "type": "io.seldon.serving.feedback", "source": "test", "id": "{{id}}",
         "datacontenttype": "application/json", "inferenceservicename": "structured", "data": {{data ?? Events.SeedBody}}}
        """;

    [Test]
    public async Task Structured_mode_event_is_counted_and_answered_in_binary_mode()
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.PostRawAsync(Structured("s1"), "application/cloudevents+json; charset=utf-8");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("ce-inferenceservicename").Single(), Is.EqualTo("structured"));
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["deployment"]!.GetValue<string>(), Is.EqualTo("structured"));
    }

    [Test]
    public async Task Spec_version_0_3_is_accepted_in_binary_and_structured_mode()
    {
        await using var server = await RunningServer.StartAsync();
        using var structured = await server.PostRawAsync(Structured("s1", "0.3"), "application/cloudevents+json");
        using var binary = await server.PostRawAsync(Events.SeedBody, "application/json", new Dictionary<string, string>
        {
            ["ce-specversion"] = "0.3",
            ["ce-type"] = Events.FeedbackType,
            ["ce-source"] = "test",
            ["ce-id"] = "b1",
        });
        Assert.That((structured.StatusCode, binary.StatusCode), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray().Sum(d => d!["count"]!.GetValue<long>()), Is.EqualTo(2));
    }

    [Test]
    public async Task Base64_data_in_structured_mode_is_read()
    {
        await using var server = await RunningServer.StartAsync();
        var data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Events.SeedBody));
        var body = $$"""{"specversion": "1.0", "type": "io.seldon.serving.feedback", "source": "test", "id": "b64", "datacontenttype": "application/json", "data_base64": "{{data}}"}""";
        using var response = await server.PostRawAsync(body, "application/cloudevents+json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Batch_mode_applies_every_event_and_reports_each_outcome()
    {
        await using var server = await RunningServer.StartAsync();
        await server.PostBinaryAsync(Events.SeedBody, id: "e2");
        var batch = $"[{Structured("e1")}, {Structured("e2")}, {Structured("e3").Replace("io.seldon.serving.feedback\"", "other.type\"")}]";
        using var response = await server.PostRawAsync(batch, "application/cloudevents-batch+json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var results = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["results"]!.AsArray();
        Assert.That(results.Select(r => r!["outcome"]!.GetValue<string>()), Is.EqualTo(new[] { "accepted", "duplicate", "ignored" }));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray().Sum(d => d!["count"]!.GetValue<long>()), Is.EqualTo(2));
    }

    [Test]
    public async Task A_batch_with_one_bad_event_is_refused_whole()
    {
        await using var server = await RunningServer.StartAsync();
        var batch = $"[{Structured("g1")}, {Structured("bad", data: """{"response": [1,0]}""")}]";
        using var response = await server.PostRawAsync(batch, "application/cloudevents-batch+json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("test#bad"));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Extension_values_may_be_json_numbers_and_booleans()
    {
        await using var server = await RunningServer.StartAsync();
        var body = Structured("n1").Replace("\"inferenceservicename\": \"structured\"", "\"inferenceservicename\": \"structured\", \"retries\": 5, \"sampled\": true", StringComparison.Ordinal);
        using var response = await server.PostRawAsync(body, "application/cloudevents+json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Percent_encoded_header_values_are_decoded()
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.PostBinaryAsync(Events.SeedBody, id: "1", extensions: new Dictionary<string, string> { ["inferenceservicename"] = "caf%C3%A9" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["deployment"]!.GetValue<string>(), Is.EqualTo("café"));
    }
}
