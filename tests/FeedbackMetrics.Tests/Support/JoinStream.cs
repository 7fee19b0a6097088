using System.Text;

namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// The request stream of the join's crash and replica tests: request i's logged response, as the Seldon executor logs
/// it (the predicted class is i mod 3), and its truth-only feedback (right for two requests in three), both with the
/// request id <c>request-i</c> of deployment ns/model.
/// </summary>
public static class JoinStream
{
    public static Task<HttpResponseMessage> Response(HttpClient client, int i, string source)
    {
        var scores = new double[3];
        scores[i % 3] = 1;
        return Post(client, source, $"response-{i}", "io.seldon.serving.inference.response", $"{{\"data\": {{\"ndarray\": [[{string.Join(", ", scores)}]]}}}}", i);
    }

    public static Task<HttpResponseMessage> Truth(HttpClient client, int i, string source) =>
        Post(client, source, $"truth-{i}", Events.FeedbackType, $"{{\"truth\": {{\"data\": {{\"ndarray\": [[{(i % 3 == 0 ? 1 : i % 3)}]]}}}}}}", i);

    private static Task<HttpResponseMessage> Post(HttpClient client, string source, string id, string type, string body, int request)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        message.Headers.Add("ce-specversion", "1.0");
        message.Headers.Add("ce-type", type);
        message.Headers.Add("ce-source", source);
        message.Headers.Add("ce-id", id);
        message.Headers.Add("ce-namespace", "ns");
        message.Headers.Add("ce-inferenceservicename", "model");
        message.Headers.Add("ce-requestid", $"request-{request}");
        return client.SendAsync(message);
    }
}
