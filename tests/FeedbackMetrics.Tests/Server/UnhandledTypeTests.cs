using System.Net;
using System.Text;
using FeedbackMetrics.Tests.Security;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Tests.Server;

/// <summary>An event of a type the server does not handle is acknowledged, counted by type, and said in the log once per type.</summary>
public sealed class UnhandledTypeTests
{
    private const string Typo = "io.seldon.serving.feedbak";
    private const string Category = "FeedbackMetrics.Server.Ingest.FeedbackIngest";

    [Test]
    public async Task The_first_event_of_a_mistyped_type_is_a_warning_naming_the_handled_types_and_the_rest_are_debug_lines()
    {
        Environment.SetEnvironmentVariable($"Logging__LogLevel__{Category}", "Debug");
        ServerProcess server;
        try
        {
            server = await ServerProcess.StartAsync(NewStateDir(), ["--state", "memory"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"Logging__LogLevel__{Category}", null);
        }

        await using (server)
        {
            // The Seldon executor's own feedback bytes, with the one-letter slip in the type a trigger or a script makes.
            var seldon = RealSenderFixture.Load("seldon-executor/feedback-ndarray-metrics-server-notebook");
            for (var i = 0; i < 3; i++)
            {
                using var answer = await server.Client.SendAsync(WithType(seldon, Typo, $"typo-{i}"));
                Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), "acknowledged, so the broker does not retry it");
                Assert.That(await answer.Content.ReadAsStringAsync(), Is.Empty);
            }

            using (var counted = await server.Client.SendAsync(WithType(seldon, "io.seldon.serving.feedback", "right")))
            {
                Assert.That(counted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            var log = await WaitForAsync(server, output => Lines(output, "dbug:", "[21]").Count == 2);
            var warnings = Lines(log, "warn:", "[20]");
            Assert.That(warnings, Has.Count.EqualTo(1), log);
            Assert.That(warnings[0], Does.Contain($"Events of type {Typo} are acknowledged and not counted"));
            Assert.That(warnings[0], Does.Contain("Feedback types: [io.seldon.serving.feedback] (--feedback_types)"));
            Assert.That(warnings[0], Does.Contain("response types: [io.seldon.serving.inference.response, org.kubeflow.serving.inference.response] (--response_types)"));
            Assert.That(Lines(log, "dbug:", "[21]"), Has.All.Contains($"of type {Typo} acknowledged and not counted"));
            Assert.That(log, Does.Not.Contain("type io.seldon.serving.feedback "), "the handled type is not reported");

            var metrics = PrometheusText.Parse(await server.Client.GetStringAsync("/v1/metrics"));
            Assert.That(metrics.Value("feedback_metrics_ignored_events_total", ("type", Typo)), Is.EqualTo(3));
        }
    }

    [Test]
    public async Task Types_warned_of_are_bounded_and_a_sender_cannot_write_a_log_line_of_its_own()
    {
        var logs = new CapturedLogs();
        await using var server = await RunningServer.StartAsync(["--state", "memory"], builder => builder.Logging.AddProvider(logs));
        const int Types = 70;
        var events = Enumerable.Range(0, Types).Select(i =>
            $$"""{"specversion":"1.0","data":{},"id":"e{{i}}","source":"s","type":"made.up.type{{i}}\nwarn: forged"}""");
        using (var batch = await server.PostRawAsync($"[{string.Join(",", events)}]", "application/cloudevents-batch+json"))
        {
            Assert.That(batch.StatusCode, Is.EqualTo(HttpStatusCode.OK), await batch.Content.ReadAsStringAsync());
        }

        // In binary mode the line break comes percent-encoded (CloudEvents HTTP binding 3.1.3.2), which the server decodes.
        using (var more = await server.PostBinaryAsync("{}", "again", type: "made.up.type0%0Awarn: forged"))
        {
            Assert.That(more.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }

        var warned = logs.Lines.Where(l => l.StartsWith($"Warning {Category}[20]", StringComparison.Ordinal)).ToList();
        Assert.That(warned, Has.Count.EqualTo(64), "one warning per type, for the first 64 types");
        Assert.That(warned, Has.All.Contains("\\u000awarn: forged").And.All.Not.Contain("\n"));
        Assert.That(logs.Lines.Where(l => l.StartsWith($"Warning {Category}[22]", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(1), "one line says later types go to debug");
        Assert.That((await server.PrometheusAsync()).Value("feedback_metrics_events_total", ("outcome", "ignored")), Is.EqualTo(Types + 1));
    }

    private static HttpRequestMessage WithType(RealSenderFixture fixture, string type, string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(fixture.Body)) };
        foreach (var (name, value) in fixture.Headers)
        {
            var sent = name.Equals("Ce-Type", StringComparison.OrdinalIgnoreCase) ? type : name.Equals("Ce-Id", StringComparison.OrdinalIgnoreCase) ? id : value;
            _ = name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                ? request.Content.Headers.TryAddWithoutValidation(name, sent)
                : request.Headers.TryAddWithoutValidation(name, sent);
        }

        return request;
    }

    private static List<string> Lines(string output, string level, string eventId) =>
        [.. output.Split('\n').Where(l => l.Contains(level, StringComparison.Ordinal) && l.Contains($"{Category}{eventId}", StringComparison.Ordinal))];

    /// <summary>Polls the process's output until the condition holds (the console logger writes from its own queue).</summary>
    private static async Task<string> WaitForAsync(ServerProcess server, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition(server.Output))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The log never showed what was expected:\n{server.Output}");
            }

            await Task.Delay(50);
        }

        return server.Output;
    }

    private static string NewStateDir() => Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
}
