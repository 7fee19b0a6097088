using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>The join's figures as teams watch them: the JSON view per model and the Prometheus series per deployment.</summary>
public sealed class JoinExpositionTests
{
    private const string Response = "io.seldon.serving.inference.response";

    /// <summary>
    /// Four responses with probabilities: two get their truth (one right, one wrong) after 60 s, one is relabelled,
    /// one stays pending, and a truth waits for a response that never came.
    /// </summary>
    private static async Task<RunningServer> StartWithTrafficAsync()
    {
        var server = await RunningServer.StartAsync(["--state", "memory"]);
        var identity = new Dictionary<string, string> { ["namespace"] = "ns", ["inferenceservicename"] = "iris", ["endpoint"] = "default", ["modelid"] = "clf" };
        Dictionary<string, string> With(string requestId) => new(identity) { ["requestid"] = requestId };

        await Post(server, """{"data": {"ndarray": [[0.9, 0.05, 0.05]]}}""", "resp-a", Response, With("a"));
        await Post(server, """{"data": {"ndarray": [[0.05, 0.9, 0.05]]}}""", "resp-b", Response, With("b"));
        await Post(server, """{"data": {"ndarray": [[0.05, 0.05, 0.9]]}}""", "resp-c", Response, With("c"));
        await Post(server, """{"truth": {"data": {"ndarray": [[0]]}}}""", "truth-a", Events.FeedbackType, With("a"));
        await Post(server, """{"truth": {"data": {"ndarray": [[0]]}}}""", "truth-b", Events.FeedbackType, With("b"));
        await Post(server, """{"truth": {"data": {"ndarray": [[1]]}}}""", "truth-b2", Events.FeedbackType, With("b"));
        await Post(server, """{"truth": {"data": {"ndarray": [[2]]}}}""", "truth-x", Events.FeedbackType, With("x"));
        return server;
    }

    private static async Task Post(RunningServer server, string body, string id, string type, Dictionary<string, string> extensions)
    {
        using var answer = await server.PostBinaryAsync(body, id, type, extensions: extensions);
        Assert.That((int)answer.StatusCode, Is.AnyOf(200, 202), $"{id}: {await answer.Content.ReadAsStringAsync()}");
    }

    [Test]
    public async Task Responses_waiting_for_their_first_truth_show_in_the_JSON_before_any_model_has_a_row()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        var identity = new Dictionary<string, string> { ["namespace"] = "ns", ["inferenceservicename"] = "iris", ["requestid"] = "a" };
        await Post(server, """{"data": {"ndarray": [[0.9, 0.05, 0.05]]}}""", "resp-a", Response, identity);
        await Post(server, """{"data": {"ndarray": [[0.2, 0.7, 0.1]]}}""", "resp-b", Response, new(identity) { ["requestid"] = "b" });

        var document = JsonNode.Parse(await server.MetricsJsonTextAsync())!;
        Assert.That(document["deployments"]!.AsArray(), Is.Empty, "no row counted yet");
        var join = document["joins"]!.AsArray().Single()!;
        Assert.That((join["namespace"]!.GetValue<string>(), join["deployment"]!.GetValue<string>()), Is.EqualTo(("ns", "iris")));
        Assert.That(join["join"]!["pendingResponses"]!.GetValue<long>(), Is.EqualTo(2));
        Assert.That(join["estimated"]!["basedOn"]!.GetValue<long>(), Is.EqualTo(2));
        Assert.That(JsonNode.Parse(await server.Client.GetStringAsync("/v1/metrics?format=json&deployment=other"))!["joins"], Is.Null, "filtered like the models");
    }

    [Test]
    public async Task The_JSON_view_gives_each_model_its_deployment_s_join_label_delay_and_estimate()
    {
        await using var server = await StartWithTrafficAsync();
        var model = JsonNode.Parse(await server.MetricsJsonTextAsync())!["deployments"]!.AsArray().Single()!;
        var join = model["join"]!;
        Assert.Multiple(() =>
        {
            Assert.That(model["count"]!.GetValue<long>(), Is.EqualTo(2));
            Assert.That(model["accuracy"]!.GetValue<double>(), Is.EqualTo(1.0), "b was relabelled to its predicted class");
            Assert.That(join["pendingResponses"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(join["parkedTruths"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(join["joined"]!.GetValue<long>(), Is.EqualTo(2));
            Assert.That(join["expired"]!.GetValue<long>(), Is.Zero);
            Assert.That(join["corrections"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(join["labelCoverage"]!.GetValue<double>(), Is.EqualTo(2.0 / 3));
            Assert.That(model["labelDelaySeconds"]!["p50"]!.GetValue<double>(), Is.GreaterThanOrEqualTo(0));
            Assert.That(model["estimated"]!["basedOn"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(model["estimated"]!["calibratedRows"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(model["estimated"]!["joinedRows"]!.GetValue<long>(), Is.EqualTo(2));

            // Both joined rows sit in the (0.8, 0.9] bin with the pending one, and both are right after the relabel.
            Assert.That(model["estimated"]!["accuracy"]!.GetValue<double>(), Is.EqualTo(1.0));

            // a was expected right at its own 0.9 (no joined row yet), b at a's bin's 1.0; b's truth then was wrong.
            Assert.That(model["estimated"]!["realized"]!["rows"]!.GetValue<long>(), Is.EqualTo(2));
            Assert.That(model["estimated"]!["realized"]!["expected"]!.GetValue<double>(), Is.EqualTo(0.95).Within(1e-12));
            Assert.That(model["estimated"]!["realized"]!["accuracy"]!.GetValue<double>(), Is.EqualTo(0.5));
        });
    }

    [Test]
    public async Task Prometheus_carries_the_join_series_per_deployment()
    {
        await using var server = await StartWithTrafficAsync();
        var metrics = await server.PrometheusAsync();
        (string, string)[] deployment = [("deployment_namespace", "ns"), ("deployment_name", "iris")];
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Value("feedback_metrics_join_pending_responses", deployment), Is.EqualTo(1));
            Assert.That(metrics.Value("feedback_metrics_join_parked_truths", deployment), Is.EqualTo(1));
            Assert.That(metrics.Value("feedback_metrics_join_responses_total", deployment), Is.EqualTo(3));
            Assert.That(metrics.Value("feedback_metrics_join_joined_total", deployment), Is.EqualTo(2));
            Assert.That(metrics.Value("feedback_metrics_join_corrections_total", deployment), Is.EqualTo(1));
            Assert.That(metrics.Value("feedback_metrics_join_expired_total", [.. deployment, ("side", "response"), ("reason", "ttl")]), Is.Zero);
            Assert.That(metrics.Value("feedback_metrics_join_label_coverage_ratio", deployment), Is.EqualTo(2.0 / 3).Within(1e-12));
            Assert.That(metrics.Value("feedback_metrics_join_label_delay_seconds", [.. deployment, ("percentile", "99")]), Is.Not.Null);
            Assert.That(metrics.Value("feedback_metrics_join_estimated_accuracy_ratio", deployment), Is.EqualTo(1.0));
            Assert.That(metrics.Value("feedback_metrics_join_estimated_rows", deployment), Is.EqualTo(1));
            Assert.That(metrics.Value("feedback_metrics_join_estimate_realized_rows_total", deployment), Is.EqualTo(2));
            Assert.That(metrics.Value("feedback_metrics_join_estimate_realized_ratio", deployment), Is.EqualTo(0.5));
        });
    }
}
