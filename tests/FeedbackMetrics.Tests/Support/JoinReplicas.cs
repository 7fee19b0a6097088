using System.Text;
using System.Text.Json.Nodes;

namespace FeedbackMetrics.Tests.Support;

/// <summary>Server processes as replicas on one Redis, for the join's tests: start, send the join's halves, wait until every JSON view agrees.</summary>
public static class JoinReplicas
{
    public static Task<ServerProcess> StartReplicaAsync(string url) =>
        ServerProcess.StartAsync(Path.Combine(Path.GetTempPath(), "fm-replica-unused"), ["--state", url, "--redis_prefix", "join-replicas", "--redis_refresh_interval", "00:00:00.200"]);

    public static async Task<(int Status, string Body)> SendAsync(ServerProcess server, RealSenderFixture fixture)
    {
        using var request = fixture.ToRequest();
        using var response = await server.Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A truth-only feedback as a labelling job sends it: binary mode, its own id, the model's deployment.</summary>
    public static Task<(int Status, string Body, string? CeType)> SendTruthAsync(ServerProcess server, string ns, string deployment, string body, string? requestId, string id) =>
        SendTruthAsync(server.Client, ns, deployment, body, requestId, id);

    /// <summary>The same through any client of a server (an in-process one included).</summary>
    public static async Task<(int Status, string Body, string? CeType)> SendTruthAsync(HttpClient client, string ns, string deployment, string body, string? requestId, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", "io.seldon.serving.feedback");
        request.Headers.Add("ce-source", "labeller");
        request.Headers.Add("ce-id", id);
        request.Headers.Add("ce-namespace", ns);
        request.Headers.Add("ce-inferenceservicename", deployment);
        if (requestId is not null)
        {
            request.Headers.Add("ce-requestid", requestId);
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.TryGetValues("ce-type", out var t) ? t.Single() : null);
    }

    public static JsonNode? Deployment(JsonNode view, string ns, string deployment) =>
        view["deployments"]!.AsArray().SingleOrDefault(d => d!["namespace"]!.GetValue<string>() == ns && d["deployment"]!.GetValue<string>() == deployment);

    /// <summary>
    /// Waits until every replica's JSON view shows the same figures (models, their matrices, and every deployment's
    /// join, label delay and estimate) and the first passes the check; returns the views.
    /// </summary>
    public static async Task<List<JsonNode>> WaitForAgreementAsync(ServerProcess[] replicas, Func<JsonNode, bool> done)
    {
        List<JsonNode> views = [];
        List<string> shown = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            views = [];
            foreach (var replica in replicas)
            {
                views.Add(JsonNode.Parse(await replica.Client.GetStringAsync("/v1/metrics?format=json"))!);
            }

            shown = [.. views.Select(Shown)];
            if (shown.Distinct().Count() == 1 && done(views[0]))
            {
                return views;
            }

            await Task.Delay(100);
        }

        Assert.That(shown.Distinct().ToList(), Has.Count.EqualTo(1), "the replicas' JSON views disagree");
        Assert.That(done(views[0]), Is.True, "the views never showed what was sent");
        return views;
    }

    /// <summary>
    /// What every replica must show alike: each model's identity, count, matrix, probabilistic figures, windows and join
    /// figures, and the top-level joins.
    /// </summary>
    private static string Shown(JsonNode view) =>
        string.Join('\n', view["deployments"]!.AsArray().Select(d =>
            $"{d!["namespace"]}/{d["deployment"]}/{d["predictor"]}/{d["model"]} {d["classes"]!.ToJsonString()} {d["count"]} {d["confusionMatrix"]!.ToJsonString()} {d["probabilistic"]?.ToJsonString()} {d["windows"]?.ToJsonString()} {d["join"]?.ToJsonString()} {d["labelDelaySeconds"]?.ToJsonString()} {d["estimated"]?.ToJsonString()}"))
        + "\n" + view["joins"]?.ToJsonString();
}
