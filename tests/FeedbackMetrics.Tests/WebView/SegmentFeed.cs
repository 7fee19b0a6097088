using System.Net;
using System.Text;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>
/// Seldon executor feedback as it arrives from a segmented deployment: a real sender's event (headers and body bytes of a
/// fixture), each delivery with its own <c>Ce-Id</c> and <c>Ce-Requestid</c> (as the executor makes one per call) and a
/// <c>Ce-Region</c> extension.
/// </summary>
internal static class SegmentFeed
{
    /// <summary>The metrics-server notebook's feedback to multiclass-model: one row, right.</summary>
    public static readonly RealSenderFixture Right = RealSenderFixture.Load("seldon-executor/feedback-ndarray-metrics-server-notebook");

    /// <summary>A tensor feedback to the same multiclass-model: two rows, one wrong.</summary>
    public static readonly RealSenderFixture Half = RealSenderFixture.Load("seldon-executor/feedback-tensor-two-rows");

    public static readonly ModelId MultiClass = new("seldon", "multiclass-model", "default", "classifier");

    public static string[] ServerArgs(params string[] more) => ["--state", "memory", "--segment_by", "region", .. more];

    /// <summary>Delivers a fixture's event <paramref name="times"/> times under a region; <paramref name="body"/> replaces its body.</summary>
    public static async Task PostAsync(RunningServer server, RealSenderFixture fixture, string region, int times = 1, string? body = null, string? deployment = null)
    {
        for (var i = 0; i < times; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body ?? fixture.Body)) };
            foreach (var (name, value) in fixture.Headers)
            {
                var sent = name switch
                {
                    "Ce-Id" or "Ce-Requestid" => Guid.NewGuid().ToString(),
                    "Ce-Inferenceservicename" => deployment ?? value,
                    _ => value,
                };
                _ = name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                    ? request.Content.Headers.TryAddWithoutValidation(name, sent)
                    : request.Headers.TryAddWithoutValidation(name, sent);
            }

            request.Headers.TryAddWithoutValidation("Ce-Region", region);
            using var response = await server.Client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }
    }
}
