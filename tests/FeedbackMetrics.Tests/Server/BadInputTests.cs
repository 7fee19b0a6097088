using System.Net;
using System.Text;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>Every kind of bad input gets a 4xx problem+json with a reason, and changes no figure.</summary>
public sealed class BadInputTests
{
    private static RunningServer _server = null!;

    public sealed record Case(string Name, int Status, string Reason, Func<HttpRequestMessage> Request)
    {
        public override string ToString() => Name;
    }

    private static HttpRequestMessage Binary(string body, string contentType = "application/json", Action<HttpRequestMessage>? headers = null, string id = "bad")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("ce-specversion", "1.0");
        request.Headers.TryAddWithoutValidation("ce-type", Events.FeedbackType);
        request.Headers.TryAddWithoutValidation("ce-source", "test");
        request.Headers.TryAddWithoutValidation("ce-id", id);
        headers?.Invoke(request);
        return request;
    }

    private static HttpRequestMessage Raw(byte[] body, string contentType, params (string, string)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    /// <summary>A structured-mode feedback event whose JSON text has <paramref name="member"/> replaced by <paramref name="replacement"/>.</summary>
    private static HttpRequestMessage Structured(string member, string replacement) =>
        Raw(Encoding.UTF8.GetBytes(StructuredText("s").Replace(member, replacement, StringComparison.Ordinal)), "application/cloudevents+json");

    private static string StructuredText(string id) =>
        $$"""{"specversion":"1.0","id":"{{id}}","type":"{{Events.FeedbackType}}","source":"s","data":{{Events.SeedBody}}}""";

    private static HttpRequestMessage WithHeader(string name, string value) => Binary(Events.SeedBody, headers: r =>
    {
        r.Headers.Remove(name);
        r.Headers.TryAddWithoutValidation(name, value);
    });

    public static IEnumerable<Case> Cases() =>
    [
        new("not JSON", 400, "not valid JSON", () => Binary("this is not json")),
        new("NaN literal", 400, "not valid JSON", () => Binary("""{"truth": [NaN, 1], "response": [0.5, 0.5]}""")),
        new("Infinity literal", 400, "not valid JSON", () => Binary("""{"truth": [Infinity, 1], "response": [0.5, 0.5]}""")),
        new("number too large", 400, "not finite", () => Binary("""{"truth": [1e400, 1], "response": [0.5, 0.5]}""")),
        new("missing truth", 400, "no truth", () => Binary("""{"response": {"data": {"ndarray": [[0.1, 0.9]]}}}""")),
        new("missing response", 400, "no response", () => Binary("""{"truth": {"data": {"ndarray": [[0, 1]]}}}""")),
        new("row count mismatch", 400, "rows", () => Binary(Events.Body("[[0.1,0.9],[0.8,0.2]]", "[[0,1]]"))),
        new("empty arrays", 400, "empty", () => Binary(Events.Body("[]", "[]"))),
        new("ragged rows", 400, "different lengths", () => Binary(Events.Body("[[0.1,0.9],[1]]", "[[0,1],[1,0]]"))),
        new("unknown encoding", 400, "strData", () => Binary("""{"truth": {"strData": "cat"}, "response": {"strData": "dog"}}""")),
        new("no data at all", 400, "no data", () => Binary("")),
        new("nested 10 000 deep", 400, "depth", () => Binary(new string('[', 10_000) + new string(']', 10_000))),
        new("invalid UTF-8", 400, "not valid JSON", () => Raw([(byte)'{', 0xC3, 0x28, (byte)'}'], "application/json", ("ce-specversion", "1.0"), ("ce-type", Events.FeedbackType), ("ce-source", "t"), ("ce-id", "1"))),
        new("missing ce-id", 400, "id", () => Binary(Events.SeedBody, headers: r => r.Headers.Remove("ce-id"))),
        new("missing ce-source", 400, "source", () => Binary(Events.SeedBody, headers: r => r.Headers.Remove("ce-source"))),
        new("invalid ce-time", 400, "time", () => WithHeader("ce-time", "yesterday")),
        new("invalid extension name", 400, "my_ext", () => WithHeader("ce-my_ext", "x")),
        new("unknown specversion", 400, "specversion", () => WithHeader("ce-specversion", "2.0")),
        new("percent-escapes that are not UTF-8", 400, "percent", () => WithHeader("ce-inferenceservicename", "a%FF%FEb")),
        new("label 10 KB long", 400, "at most 256", () => WithHeader("ce-inferenceservicename", new string('a', 10_000))),
        new("label with a control character", 400, "control", () => WithHeader("ce-modelid", "a%01b")),
        new("not a CloudEvent", 400, "Not a CloudEvent", () => Raw(Encoding.UTF8.GetBytes(Events.SeedBody), "application/json")),
        new("wrong content type", 415, "must be JSON", () => Binary(Events.SeedBody, "text/plain")),
        new("structured XML", 415, "JSON only", () => Raw(Encoding.UTF8.GetBytes("<event/>"), "application/cloudevents+xml")),
        new("structured without id", 400, "id", () => Raw(Encoding.UTF8.GetBytes("""{"specversion":"1.0","type":"io.seldon.serving.feedback","source":"s","data":{}}"""), "application/cloudevents+json")),
        new("unpaired surrogate in a class label", 400, "surrogate", () => Binary("""{"truth": {"data": {"ndarray": ["\ud800"]}}, "response": {"data": {"ndarray": ["cat"]}}}""")),
        new("unpaired surrogate in a structured id", 400, "surrogate", () => Raw(Encoding.UTF8.GetBytes("""{"specversion":"1.0","id":"\ud800","type":"io.seldon.serving.feedback","source":"s","data":{}}"""), "application/cloudevents+json")),
        new("structured id a JSON number", 400, "requires 'id' to be a JSON string", () => Structured("\"id\":\"s\"", "\"id\":25")),
        new("structured specversion a JSON number", 400, "requires 'specversion' to be a JSON string", () => Structured("\"specversion\":\"1.0\"", "\"specversion\":1.0")),
        new("structured type a JSON boolean", 400, "requires 'type' to be a JSON string", () => Structured($"\"type\":\"{Events.FeedbackType}\"", "\"type\":true")),
        new("structured source a JSON number", 400, "requires 'source' to be a JSON string", () => Structured("\"source\":\"s\"", "\"source\":8000")),
        new("structured time a JSON number", 400, "requires 'time' to be a JSON string", () => Structured("\"id\":\"s\"", "\"id\":\"s\",\"time\":1700000000")),
        new("structured subject a JSON boolean", 400, "requires 'subject' to be a JSON string", () => Structured("\"id\":\"s\"", "\"id\":\"s\",\"subject\":false")),
        new("structured datacontenttype a JSON number", 400, "requires 'datacontenttype' to be a JSON string", () => Structured("\"id\":\"s\"", "\"id\":\"s\",\"datacontenttype\":1")),
        new("structured dataschema a JSON number", 400, "requires 'dataschema' to be a JSON string", () => Structured("\"id\":\"s\"", "\"id\":\"s\",\"dataschema\":2")),
        new("batch whose second id is a JSON number", 400, "Event 2 of the batch: attribute 'id' is the JSON number 25", () => Raw(
            Encoding.UTF8.GetBytes($"[{StructuredText("b1")}, {StructuredText("b2").Replace("\"id\":\"b2\"", "\"id\":25", StringComparison.Ordinal)}]"),
            "application/cloudevents-batch+json")),
        new("class names that are not strings", 400, "data.names must be an array of strings; item 2 is 7", () => Binary("""{"response": {"data": {"names": ["a", 7, "c"], "ndarray": [[0.1, 0.2, 0.7]]}}, "truth": {"data": {"ndarray": [[0, 0, 1]]}}}""")),
        new("empty batch", 400, "no events", () => Raw(Encoding.UTF8.GetBytes("[]"), "application/cloudevents-batch+json")),
        new("body over the size limit", 413, "at most", () => Binary("[" + string.Join(",", Enumerable.Repeat("1", 40_000)) + "]")),
        new("class past the class cap", 422, "--max_classes", () => Binary(Events.Body("[[" + string.Join(",", new int[40]) + "]]", "[[" + string.Join(",", new int[40]) + "]]"))),
    ];

    [OneTimeSetUp]
    public static async Task StartAsync()
    {
        _server = await RunningServer.StartAsync(["--max_body_bytes", "65536", "--max_classes", "32"]);
        using var good = await _server.PostBinaryAsync(Events.SeedBody, id: "good");
        good.EnsureSuccessStatusCode();
    }

    [OneTimeTearDown]
    public static async Task StopAsync() => await _server.DisposeAsync();

    [TestCaseSource(nameof(Cases))]
    public async Task Bad_input_gets_a_4xx_with_a_reason_and_changes_nothing(Case testCase)
    {
        var before = await _server.MetricsJsonTextAsync();
        var accepted = (await _server.PrometheusAsync()).Value("feedback_metrics_events_total", ("outcome", "accepted"));

        using var response = await _server.Client.SendAsync(testCase.Request());

        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(testCase.Status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(body, Does.Contain(testCase.Reason).IgnoreCase);
        Assert.That(await _server.MetricsJsonTextAsync(), Is.EqualTo(before));
        Assert.That((await _server.PrometheusAsync()).Value("feedback_metrics_events_total", ("outcome", "accepted")), Is.EqualTo(accepted));
        Assert.That((await _server.Client.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Too_many_keys_are_refused_with_a_limit_problem()
    {
        await using var server = await RunningServer.StartAsync(["--max_keys", "2"]);
        foreach (var name in new[] { "a", "b" })
        {
            (await server.PostBinaryAsync(Events.SeedBody, id: name, extensions: new Dictionary<string, string> { ["inferenceservicename"] = name })).EnsureSuccessStatusCode();
        }

        using var third = await server.PostBinaryAsync(Events.SeedBody, id: "c", extensions: new Dictionary<string, string> { ["inferenceservicename"] = "c" });
        Assert.That((int)third.StatusCode, Is.EqualTo(422));
        Assert.That(await third.Content.ReadAsStringAsync(), Does.Contain("--max_keys"));
        using var existing = await server.PostBinaryAsync(Events.SeedBody, id: "a2", extensions: new Dictionary<string, string> { ["inferenceservicename"] = "a" });
        Assert.That(existing.IsSuccessStatusCode, Is.True, "known keys keep counting");
        Assert.That((await server.PrometheusAsync()).Value("feedback_metrics_events_total", ("outcome", "rejected")), Is.EqualTo(1));
    }

    [Test]
    public async Task An_unknown_metrics_format_is_a_400_problem_and_not_counted_as_a_rejected_event()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        using var answer = await server.Client.GetAsync("/v1/metrics?format=xml");
        Assert.That((int)answer.StatusCode, Is.EqualTo(400));
        Assert.That(answer.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await answer.Content.ReadAsStringAsync(), Does.Contain("format=xml is not served"));
        Assert.That((await server.PrometheusAsync()).Value("feedback_metrics_events_total", ("outcome", "rejected")), Is.Zero, "a scrape is no event");
    }
}
