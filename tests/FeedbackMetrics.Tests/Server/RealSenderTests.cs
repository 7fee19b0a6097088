using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// The conformance corpus: every event that Seldon's executor, KServe's agent, a Knative broker and the CloudEvents SDKs
/// really put on the wire (Fixtures/RealSenders), replayed over HTTP with its exact headers and bytes.
/// </summary>
public sealed class RealSenderTests
{
    private static readonly string[] ServerArgs = ["--state", "memory"];

    public static IEnumerable<TestCaseData> AllFixtures() =>
        RealSenderFixture.Names().Select(name => new TestCaseData(name).SetName($"Replayed_event_gets_its_expected_answer_and_effect({name})"));

    public static IEnumerable<TestCaseData> AcknowledgedFixtures() =>
        RealSenderFixture.Names()
            .Where(name => RealSenderFixture.Load(name).Status is >= 200 and < 300)
            .Select(name => new TestCaseData(name).SetName($"Redelivered_event_is_acknowledged_and_not_counted_again({name})"));

    [Test]
    public void Every_fixture_names_its_source_and_a_consistent_expectation()
    {
        var names = RealSenderFixture.Names().ToList();
        Assert.That(names, Has.Count.GreaterThanOrEqualTo(20), $"fixtures under {RealSenderFixture.Root}");
        Assert.Multiple(() =>
        {
            foreach (var name in names)
            {
                var fixture = RealSenderFixture.Load(name);
                Assert.That(fixture.Repository, Does.Match("^[^/ ]+/[^/ ]+$"), $"{name}: from.repository is owner/name");
                Assert.That(fixture.Paths, Is.Not.Empty, $"{name}: from.paths");
                Assert.That(RealSenderFixture.ReplyKinds, Does.Contain(fixture.Reply), $"{name}: expect.reply");
                Assert.That(fixture.Counted is not null, Is.EqualTo(fixture.Reply is "cloudevent" or "batch"), $"{name}: counted exactly when the answer is a metric event or a batch result");
                Assert.That(fixture.Counted is null || fixture.Counted.Correct <= fixture.Counted.Rows, Is.True, $"{name}: correct <= rows");
                Assert.That(fixture.DetailMentions is null || fixture.Reply == "problem", Is.True, $"{name}: detailMentions only for a problem answer");
            }
        });
    }

    [TestCaseSource(nameof(AllFixtures))]
    public async Task Replayed_event_gets_its_expected_answer_and_effect(string name)
    {
        var fixture = RealSenderFixture.Load(name);
        await using var server = await RunningServer.StartAsync(ServerArgs);
        using var client = ClientFor(server);

        var answer = await SendAsync(client, fixture);

        Assert.That(answer.Status, Is.EqualTo(fixture.Status), answer.ToString());
        AssertReply(fixture, answer, redelivered: false);
        await AssertCountedAsync(server, fixture.Counted);
    }

    [TestCaseSource(nameof(AcknowledgedFixtures))]
    public async Task Redelivered_event_is_acknowledged_and_not_counted_again(string name)
    {
        var fixture = RealSenderFixture.Load(name);
        await using var server = await RunningServer.StartAsync(ServerArgs);
        using var client = ClientFor(server);

        var first = await SendAsync(client, fixture);
        Assert.That(first.Status, Is.EqualTo(fixture.Status), "first delivery: " + first);
        var again = await SendAsync(client, fixture);

        if (fixture.Reply == "batch")
        {
            Assert.That(again.Status, Is.EqualTo(200), again.ToString());
            AssertReply(fixture, again, redelivered: true);
        }
        else
        {
            Assert.That(again.Status, Is.EqualTo(202), again.ToString());
            Assert.That(again.Body, Is.Empty, "a redelivery is acknowledged without a reply event");
        }

        await AssertCountedAsync(server, fixture.Counted);
    }

    [Test]
    public async Task KServe_request_and_response_share_an_id_yet_neither_is_taken_for_a_redelivery()
    {
        var request = RealSenderFixture.Load("kserve-agent/request-v1-instances");
        var response = RealSenderFixture.Load("kserve-agent/response-v1-predictions");
        Assert.That(Header(response, "Ce-Id"), Is.EqualTo(Header(request, "Ce-Id")), "the agent reuses one id for both events");
        await using var server = await RunningServer.StartAsync(ServerArgs);
        using var client = ClientFor(server);

        var requestAnswer = await SendAsync(client, request);
        var responseAnswer = await SendAsync(client, response);

        Assert.That(requestAnswer.Status, Is.EqualTo(202), requestAnswer.ToString());
        Assert.That(responseAnswer.Status, Is.EqualTo(202), responseAnswer.ToString());
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_events_total", ("outcome", "duplicate")) ?? 0, Is.Zero, "(source, id, type) differ in type: two events");
    }

    [Test]
    public async Task Feedback_sharing_source_and_id_with_a_logged_response_is_counted()
    {
        var response = RealSenderFixture.Load("kserve-agent/response-v1-predictions");
        var feedback = RealSenderFixture.Load("kserve-agent/feedback-v1-predictions-labeller");
        Assert.That((Header(feedback, "Ce-Source"), Header(feedback, "Ce-Id")), Is.EqualTo((Header(response, "Ce-Source"), Header(response, "Ce-Id"))));
        await using var server = await RunningServer.StartAsync(ServerArgs);
        using var client = ClientFor(server);

        var responseAnswer = await SendAsync(client, response);
        var feedbackAnswer = await SendAsync(client, feedback);

        Assert.That(responseAnswer.Status, Is.EqualTo(202), responseAnswer.ToString());
        Assert.That(feedbackAnswer.Status, Is.EqualTo(200), feedbackAnswer.ToString());
        await AssertCountedAsync(server, feedback.Counted);
    }

    private static HttpClient ClientFor(RunningServer server) =>
        new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    private static string Header(RealSenderFixture fixture, string name) =>
        fixture.Headers.Single(header => header.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static async Task<Answer> SendAsync(HttpClient client, RealSenderFixture fixture)
    {
        using var request = fixture.ToRequest();
        using var response = await client.SendAsync(request);
        var headers = response.Headers.ToDictionary(header => header.Key, header => string.Join(",", header.Value), StringComparer.OrdinalIgnoreCase);
        return new Answer((int)response.StatusCode, headers, response.Content.Headers.ContentType?.MediaType, await ReadBodyAsync(response));
    }

    /// <summary>Reads the body as the senders' HTTP clients would: they asked for gzip (Go, requests) and decode it transparently.</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response)
    {
        await using var raw = await response.Content.ReadAsStreamAsync();
        await using Stream decoded = response.Content.Headers.ContentEncoding.LastOrDefault() switch
        {
            "gzip" => new GZipStream(raw, CompressionMode.Decompress),
            "deflate" => new ZLibStream(raw, CompressionMode.Decompress),
            "br" => new BrotliStream(raw, CompressionMode.Decompress),
            _ => raw,
        };
        using var buffer = new MemoryStream();
        await decoded.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static void AssertReply(RealSenderFixture fixture, Answer answer, bool redelivered)
    {
        var (_, headers, mediaType, body) = answer;
        switch (fixture.Reply)
        {
            case "empty":
                Assert.That(body, Is.Empty, "acknowledged with an empty body: a broker turns a 2xx with a non-CloudEvent body into a 502");
                break;
            case "cloudevent":
                Assert.Multiple(() =>
                {
                    foreach (var header in new[] { "ce-specversion", "ce-id", "ce-type", "ce-source" })
                    {
                        Assert.That(headers.GetValueOrDefault(header), Is.Not.Null.And.Not.Empty, $"reply carries {header}");
                    }

                    Assert.That(mediaType, Is.EqualTo("application/json"), "binary-mode reply with JSON data");
                    Assert.That(() => JsonDocument.Parse(body).Dispose(), Throws.Nothing, "reply data is JSON");
                });
                break;
            case "problem":
                Assert.That(mediaType, Is.EqualTo("application/problem+json"), Encoding.UTF8.GetString(body));
                var detail = JsonNode.Parse(body)!["detail"]?.GetValue<string>();
                Assert.That(detail, Is.Not.Empty, "the problem says what is wrong");
                Assert.That(detail, Does.Contain(fixture.DetailMentions ?? "").IgnoreCase, "refused for the fixture's reason");
                break;
            case "batch":
                Assert.That(mediaType, Is.EqualTo("application/json"));
                var expected = redelivered ? "duplicate" : "accepted";
                var events = JsonNode.Parse(fixture.Body)!.AsArray().Count;
                var outcomes = JsonNode.Parse(body)!["results"]!.AsArray().Select(result => result!["outcome"]!.GetValue<string>());
                Assert.That(outcomes, Is.EqualTo(Enumerable.Repeat(expected, events)), Encoding.UTF8.GetString(body));
                break;
            default:
                Assert.Fail($"{fixture.Name}: unknown reply kind {fixture.Reply}");
                break;
        }
    }

    private static async Task AssertCountedAsync(RunningServer server, RealSenderFixture.Count? expected)
    {
        var text = await server.MetricsJsonTextAsync();
        var counting = JsonNode.Parse(text)!["deployments"]!.AsArray()
            .Where(deployment => (deployment!["count"]?.GetValue<long>() ?? 0) > 0)
            .ToList();
        if (expected is null)
        {
            Assert.That(counting, Is.Empty, "nothing counted: " + text);
            return;
        }

        Assert.That(counting, Has.Count.EqualTo(1), text);
        var key = counting[0]!;
        Assert.Multiple(() =>
        {
            Assert.That(key["namespace"]!.GetValue<string>(), Is.EqualTo(expected.Namespace), "namespace");
            Assert.That(key["deployment"]!.GetValue<string>(), Is.EqualTo(expected.Deployment), "deployment");
            Assert.That(key["predictor"]!.GetValue<string>(), Is.EqualTo(expected.Predictor), "predictor");
            Assert.That(key["model"]!.GetValue<string>(), Is.EqualTo(expected.Model), "model");
            Assert.That(key["count"]!.GetValue<long>(), Is.EqualTo(expected.Rows), "count = rows");
            Assert.That(key["accuracy"]!.GetValue<double>(), Is.EqualTo((double)expected.Correct / expected.Rows).Within(1e-9), "accuracy = correct / rows");
        });
    }

    /// <summary>What the server answered, read whole so the response can be disposed.</summary>
    private sealed record Answer(int Status, Dictionary<string, string> Headers, string? MediaType, byte[] Body)
    {
        public override string ToString() => $"answered {Status} {MediaType}: {Encoding.UTF8.GetString(Body)}";
    }
}
