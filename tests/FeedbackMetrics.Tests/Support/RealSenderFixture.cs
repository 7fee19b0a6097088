using System.Text;
using System.Text.Json;

namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// One event of a real sender, as its source code and recorded captures put it on the wire
/// (<c>Fixtures/RealSenders/&lt;sender&gt;/&lt;name&gt;.json</c>): the exact headers and body, and what the server must answer.
/// </summary>
public sealed record RealSenderFixture(
    string Name,
    string Repository,
    IReadOnlyList<string> Paths,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string Body,
    int Status,
    string Reply,
    string? DetailMentions,
    RealSenderFixture.Count? Counted)
{
    /// <summary>The reply kinds a fixture can expect.</summary>
    public static readonly string[] ReplyKinds = ["cloudevent", "empty", "problem", "batch"];

    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures", "RealSenders");

    /// <summary>Fixture names as <c>sender/name</c>, in a stable order.</summary>
    public static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(Root, "*.json", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(Root, file)[..^".json".Length].Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    public static RealSenderFixture Load(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, name + ".json")));
        var root = document.RootElement;
        var from = root.GetProperty("from");
        var request = root.GetProperty("request");
        var expect = root.GetProperty("expect");
        var headers = request.GetProperty("headers").EnumerateObject()
            .Select(header => KeyValuePair.Create(header.Name, header.Value.GetString()!))
            .ToList();
        var counted = expect.GetProperty("counted");
        return new RealSenderFixture(
            name,
            from.GetProperty("repository").GetString()!,
            [.. from.GetProperty("paths").EnumerateArray().Select(path => path.GetString()!)],
            headers,
            request.GetProperty("body").GetString()!,
            expect.GetProperty("status").GetInt32(),
            expect.GetProperty("reply").GetString()!,
            expect.TryGetProperty("detailMentions", out var mentions) ? mentions.GetString() : null,
            counted.ValueKind == JsonValueKind.Null
                ? null
                : new Count(
                    counted.GetProperty("namespace").GetString()!,
                    counted.GetProperty("deployment").GetString()!,
                    counted.GetProperty("predictor").GetString()!,
                    counted.GetProperty("model").GetString()!,
                    counted.GetProperty("rows").GetInt32(),
                    counted.GetProperty("correct").GetInt32()));
    }

    /// <summary>The request with the fixture's headers and body bytes unchanged (HttpClient adds only Host and Content-Length).</summary>
    public HttpRequestMessage ToRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Body)) };
        foreach (var (name, value) in Headers)
        {
            var added = name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                ? request.Content.Headers.TryAddWithoutValidation(name, value)
                : request.Headers.TryAddWithoutValidation(name, value);
            if (!added)
            {
                throw new InvalidOperationException($"{Name}: header {name} cannot be sent as given.");
            }
        }

        return request;
    }

    /// <summary>Where the event must be counted and how: its rows, and how many of them are right.</summary>
    public sealed record Count(string Namespace, string Deployment, string Predictor, string Model, int Rows, int Correct);
}
