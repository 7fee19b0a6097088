using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// Interop with the JavaScript CloudEvents SDK (npm <c>cloudevents</c>): events it builds and serialises are accepted and counted
/// once, and every reply we send parses and validates with it. The SDK side is Interop/cloudevents-js-sdk.mjs, run with node.
/// </summary>
public sealed class JavaScriptSdkTests
{
    private const string MetricsType = "io.seldon.serving.feedback.metrics";

    /// <summary>What the Seldon Core v1 executor puts in <c>ce-source</c>: a URI with an empty host, valid per RFC 3986 and the SDK.</summary>
    private const string SeldonExecutorSource = "http://:8000/";

    [Test]
    public Task Binary_events_from_the_JavaScript_SDK_are_counted_and_the_reply_parses() => SingleEventsAreCountedAndRepliesParseAsync("binary", "application/json");

    [Test]
    public Task Structured_events_from_the_JavaScript_SDK_are_counted_and_the_reply_parses() => SingleEventsAreCountedAndRepliesParseAsync("structured", "application/cloudevents+json");

    [Test]
    public async Task A_batch_of_JavaScript_SDK_events_is_counted_once_and_answered_with_per_event_results()
    {
        await using var server = await RunningServer.StartAsync();
        var (exitCode, summary, output) = await JavaScriptSdk.Find().RunAsync(server.BaseAddress, "batch");
        AssertNoFailures(exitCode, summary, output);

        Assert.That(Sent(summary, "batch")["headers"]!["content-type"]!.GetValue<string>(), Does.StartWith("application/cloudevents-batch+json"));
        var replies = Replies(summary);
        Assert.That(replies.Keys, Is.EqualTo(new[] { "batch", "batch-redelivery" }));
        Assert.That(Outcomes(replies["batch"]), Is.EqualTo(new[] { "accepted", "accepted", "ignored" }), output);
        Assert.That(Outcomes(replies["batch-redelivery"]), Is.EqualTo(new[] { "duplicate", "duplicate", "ignored" }), output);

        var deployment = await DeploymentAsync(server, "js-sdk-batch");
        Assert.That(deployment["count"]!.GetValue<long>(), Is.EqualTo(2));
        Assert.That(deployment["confusionMatrix"]!.ToJsonString(), Is.EqualTo("[[0,0],[0,2]]"));
    }

    [Test]
    public async Task Events_with_the_Seldon_executor_source_from_the_JavaScript_SDK_are_accepted_and_counted()
    {
        await using var server = await RunningServer.StartAsync();
        var sdk = JavaScriptSdk.Find();
        var runs = new Dictionary<string, (int ExitCode, JsonObject Summary, string Output)>();
        foreach (var mode in new[] { "binary", "structured", "batch" })
        {
            runs[mode] = await sdk.RunAsync(server.BaseAddress, mode, SeldonExecutorSource);
        }

        var metrics = await server.MetricsJsonAsync();
        using (Assert.EnterMultipleScope())
        {
            foreach (var (mode, (exitCode, summary, _)) in runs)
            {
                Assert.That(Failures(summary), Is.Empty, $"{mode} mode with ce-source {SeldonExecutorSource}");
                Assert.That(exitCode, Is.Zero, $"{mode} mode exit code");
                var deployment = metrics["deployments"]!.AsArray().FirstOrDefault(d => d!["deployment"]!.GetValue<string>() == $"js-sdk-{mode}");
                Assert.That(deployment?["count"]?.GetValue<long>(), Is.EqualTo(2), $"{mode} mode: two distinct events counted once each");
            }
        }
    }

    private static async Task SingleEventsAreCountedAndRepliesParseAsync(string mode, string sentContentType)
    {
        await using var server = await RunningServer.StartAsync();
        var (exitCode, summary, output) = await JavaScriptSdk.Find().RunAsync(server.BaseAddress, mode);
        AssertNoFailures(exitCode, summary, output);

        Assert.That(Sent(summary, "first")["headers"]!["content-type"]!.GetValue<string>(), Does.StartWith(sentContentType));
        var replies = Replies(summary);
        Assert.That(replies.Keys, Is.EqualTo(new[] { "first", "second", "redelivery", "own-reply" }));
        Assert.That(replies.Values.Select(r => r["status"]!.GetValue<int>()), Is.EqualTo(new[] { 200, 200, 202, 202 }), output);
        Assert.That(replies["redelivery"]["body"]!.GetValue<string>(), Is.Empty);
        Assert.That(replies["own-reply"]["body"]!.GetValue<string>(), Is.Empty);

        // The reply events as the SDK parsed them (HTTP.toEvent + validate()).
        foreach (var (step, count) in new[] { ("first", 1), ("second", 2) })
        {
            var parsed = replies[step]["event"]!.AsObject();
            Assert.That(parsed["type"]!.GetValue<string>(), Is.EqualTo(MetricsType));
            Assert.That(parsed["source"]!.GetValue<string>(), Is.EqualTo("io.seldon.serving.feedback"));
            Assert.That(parsed["specversion"]!.GetValue<string>(), Is.EqualTo("1.0"));
            var echoed = new[] { "inferenceservicename", "namespace", "endpoint", "modelid", "requestid" }.ToDictionary(name => name, name => parsed[name]?.GetValue<string>());
            Assert.That(echoed, Is.EqualTo(new Dictionary<string, string?>
            {
                ["inferenceservicename"] = $"js-sdk-{mode}",
                ["namespace"] = "seldon",
                ["endpoint"] = "default",
                ["modelid"] = "classifier",
                ["requestid"] = $"req-{mode}-{count}",
            }));
            var data = parsed["data"]!;
            Assert.That(data["metrics"]![0]!["key"]!.GetValue<string>(), Is.EqualTo("seldon_metric_true_positive"));
            Assert.That(data["metrics"]![0]!["tags"]!["class"]!.GetValue<string>(), Is.EqualTo("CLASS_1"));
            Assert.That(data["summary"]!["count"]!.GetValue<long>(), Is.EqualTo(count));
        }

        var deployment = await DeploymentAsync(server, $"js-sdk-{mode}");
        Assert.That(
            (deployment["namespace"]!.GetValue<string>(), deployment["predictor"]!.GetValue<string>(), deployment["model"]!.GetValue<string>()),
            Is.EqualTo(("seldon", "default", "classifier")));
        Assert.That(deployment["count"]!.GetValue<long>(), Is.EqualTo(2), "two distinct events; the redelivery and the looped-back reply are not counted");
        Assert.That(deployment["confusionMatrix"]!.ToJsonString(), Is.EqualTo("[[0,0],[0,2]]"));
        Assert.That(deployment["accuracy"]!.GetValue<double>(), Is.EqualTo(1.0));

        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_events_total", ("outcome", "duplicate")), Is.EqualTo(1));
        Assert.That(prometheus.Value("feedback_metrics_ignored_events_total", ("type", MetricsType)), Is.EqualTo(1));
    }

    private static void AssertNoFailures(int exitCode, JsonObject summary, string output)
    {
        Assert.That(Failures(summary), Is.Empty, output);
        Assert.That(exitCode, Is.Zero, output);
    }

    private static IEnumerable<string> Failures(JsonObject summary) => summary["failures"]!.AsArray().Select(f => f!.GetValue<string>());

    private static JsonObject Sent(JsonObject summary, string step) =>
        summary["sent"]!.AsArray().Select(s => s!.AsObject()).First(s => s["step"]!.GetValue<string>() == step);

    private static Dictionary<string, JsonObject> Replies(JsonObject summary) =>
        summary["replies"]!.AsArray().Select(r => r!.AsObject()).ToDictionary(r => r["step"]!.GetValue<string>());

    private static IEnumerable<string> Outcomes(JsonObject reply) => reply["results"]!.AsArray().Select(r => r!["outcome"]!.GetValue<string>());

    private static async Task<JsonObject> DeploymentAsync(RunningServer server, string name)
    {
        var deployments = (await server.MetricsJsonAsync())["deployments"]!.AsArray();
        Assert.That(deployments.Select(d => d!["deployment"]!.GetValue<string>()), Is.EqualTo(new[] { name }), "only the SDK's events were counted");
        return deployments[0]!.AsObject();
    }
}
