using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Payloads;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// Property-based fuzzing of <c>POST /</c> with generated bodies: random JSON trees over the payload's own
/// vocabulary, mutations of a valid body, and raw bytes. Whatever the body, the server answers 200 when the
/// domain decodes it and otherwise a 4xx problem that changes nothing; never a 5xx; it stays healthy.
/// </summary>
public sealed class FuzzTests
{
    private static readonly string[] Keys =
        ["truth", "response", "data", "ndarray", "tensor", "tftensor", "shape", "values", "names", "predictions", "instances", "outputs", "floatVal", "tensorShape", "dim", "size", "jsonData", "x"];

    private static readonly Gen<string> Scalar = Gen.OneOf(
        Gen.Int[-3, 40].Select(i => i.ToString(CultureInfo.InvariantCulture)),
        Gen.Double[-2, 2].Select(d => d.ToString("R", CultureInfo.InvariantCulture)),
        Gen.OneOf("null", "true", "false", "\"CLASS_1\"", "\"\"", "1e400", "-0.0", "\"NaN\"", "0.5", "1", "0"),
        Gen.String[0, 6].Select(s => JsonSerializer.Serialize(s)));

    private static readonly Gen<string> Json = Gen.Recursive<string>((depth, inner) => depth >= 4
        ? Scalar
        : Gen.Frequency(
            (3, Scalar),
            (4, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (3, Gen.OneOf(Keys).SelectMany(k => inner.Select(v => $"\"{k}\":{v}")).Array[0, 3].Select(pairs => "{" + string.Join(",", pairs) + "}"))));

    private static readonly Gen<byte[]> Bodies = Gen.Frequency(
        (4, Json.SelectMany(truth => Json.Select(response => Encoding.UTF8.GetBytes($$"""{"truth":{{truth}},"response":{{response}}}""")))),
        (3, Gen.Int[0, Events.SeedBody.Length - 1].SelectMany(at => Gen.Int[0, 6].SelectMany(cut => Gen.Char.Select(c =>
            Encoding.UTF8.GetBytes(Events.SeedBody[..at] + c + Events.SeedBody[Math.Min(Events.SeedBody.Length, at + cut)..]))))),
        (1, Gen.Byte.Array[0, 80]));

    [Test]
    public async Task Any_body_is_counted_when_it_decodes_and_otherwise_refused_with_a_4xx_that_changes_nothing()
    {
        await using var server = await RunningServer.StartAsync();
        var decoder = new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5);
        long expectedCount = 0;
        var sent = 0;
        var valid = 0;

        await Bodies.SampleAsync(
            async body =>
            {
                var rows = RowsIfValid(decoder, body);
                using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add("ce-specversion", "1.0");
                request.Headers.Add("ce-type", Events.FeedbackType);
                request.Headers.Add("ce-source", "fuzz");
                request.Headers.Add("ce-id", $"f{sent++}");
                using var response = await server.Client.SendAsync(request);
                var status = (int)response.StatusCode;
                var text = Encoding.UTF8.GetString(body);
                if (rows is { } n)
                {
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
                    expectedCount += n;
                    valid++;
                }
                else
                {
                    Assert.That(status, Is.InRange(400, 499), text);
                    Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
                }

                Assert.That(await CountAsync(server), Is.EqualTo(expectedCount), $"state after {text}");
            },
            iter: 500,
            threads: 1);

        TestContext.Out.WriteLine($"{sent} bodies, {valid} valid, {sent - valid} refused");
        Assert.That(sent - valid, Is.GreaterThan(sent / 2), "most generated bodies should be invalid");
        Assert.That((await server.Client.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("""{"truth":1,"response":[true]}""")]
    [TestCase("""{"truth":{"data":{"ndarray":[[0]]}},"response":{"data":{"ndarray":[[1.0]]}}}""")]
    public async Task A_one_column_response_is_counted_without_probability_figures(string body)
    {
        // Found by the fuzz test above: a one-column vector summing to 1 was taken for a probability distribution,
        // which the scoring refuses, and the writer failed (503) instead of counting the row.
        await using var server = await RunningServer.StartAsync();
        using var answer = await server.PostBinaryAsync(body, "one-column");
        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK), await answer.Content.ReadAsStringAsync());
        Assert.That(await CountAsync(server), Is.EqualTo(1));
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["probabilistic"], Is.Null);
    }

    /// <summary>The rows the domain would count, or null when it refuses the body: the oracle, independent of HTTP.</summary>
    private static long? RowsIfValid(ClassDecoder decoder, byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            return decoder.Decode(FeedbackPayload.Read(document.RootElement)).Rows.Length;
        }
        catch (Exception e) when (e is JsonException or InvalidFeedbackException or ArgumentException)
        {
            return null;
        }
    }

    private static async Task<long> CountAsync(RunningServer server) =>
        (await server.MetricsJsonAsync())["deployments"]!.AsArray().Sum(d => d!["count"]!.GetValue<long>());
}
