using System.Collections.Concurrent;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Hosting;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Tests.Server;

/// <summary>The join's options: bad values stop the server at start with a message; --response_types names the types kept.</summary>
public sealed class JoinOptionsTests
{
    [TestCase("--join_ttl", "00:00:00", "'00:00:00' is out of range (--join_ttl): give a duration from 00:00:01 to 3650.00:00:00")]
    [TestCase("--join_max_entries", "0", "0 is out of range (--join_max_entries): give a whole number from 1 to 100000000")]
    public void A_bad_join_option_fails_at_start_up_with_its_name(string option, string value, string line)
    {
        var e = Assert.Throws<StartupException>(() => ServerApp.Build(["--http_port", "0", "--bind_address", "127.0.0.1", "--state", "memory", option, value]));
        Assert.That(e!.Message, Is.EqualTo(line));
    }

    [Test]
    public async Task Response_types_name_the_events_kept_for_the_join_and_the_defaults_are_then_ignored()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--response_types", "com.example.prediction"]);
        var ids = new Dictionary<string, string> { ["namespace"] = "ns", ["inferenceservicename"] = "d", ["requestid"] = "r1" };
        using var seldon = await server.PostBinaryAsync("""{"data": {"ndarray": [[0.9, 0.1]]}}""", "seldon", "io.seldon.serving.inference.response", extensions: ids);
        using var ours = await server.PostBinaryAsync("""{"data": {"ndarray": [[0.9, 0.1]]}}""", "ours", "com.example.prediction", extensions: ids);
        using var truth = await server.PostBinaryAsync("""{"truth": {"data": {"ndarray": [[0]]}}}""", "truth", Events.FeedbackType, extensions: ids);

        var metrics = await server.PrometheusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Value("feedback_metrics_ignored_events_total", ("type", "io.seldon.serving.inference.response")), Is.EqualTo(1));
            Assert.That((int)truth.StatusCode, Is.EqualTo(200), "joined to the response of the configured type");
            Assert.That(metrics.Value("feedback_metrics_join_responses_total", ("deployment_namespace", "ns"), ("deployment_name", "d")), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Responses_a_deployment_s_decoder_cannot_read_are_warned_of_once_per_deployment_and_counted_as_ignored()
    {
        // The Seldon executor's logged response of a binary model (one "proba" column), under the one-hot decoder of
        // README's run command: acknowledged, not kept. A deployment all of whose responses are dropped shows in the log.
        var log = new CollectingLoggerProvider();
        await using var server = await RunningServer.StartAsync(
            ["--state", "memory", "--storage_uri", "adserver.cm_models.multiclass_one_hot.MulticlassOneHot"],
            builder => builder.Logging.AddProvider(log));
        var fixture = RealSenderFixture.Load("seldon-executor/response-ndarray-payload-logging-capture");
        for (var i = 0; i < 3; i++)
        {
            using var request = fixture.ToRequest();
            request.Headers.Remove("Ce-Id");
            request.Headers.Add("Ce-Id", $"logged-{i}");
            using var answer = await server.Client.SendAsync(request);
            Assert.That((int)answer.StatusCode, Is.EqualTo(202));
        }

        var warnings = log.Lines.Where(l => l.Level == LogLevel.Warning && l.Text.Contains("not kept for the join")).ToList();
        var metrics = await server.PrometheusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(warnings, Has.Count.EqualTo(1), "one warning for the deployment, not one per event");
            Assert.That(warnings.Single().Text, Does.Contain("seldon/model-logs"));
            Assert.That(metrics.Value("feedback_metrics_ignored_events_total", ("type", "io.seldon.serving.inference.response")), Is.EqualTo(3));
        });
    }

    /// <summary>Keeps every log line written, with its level.</summary>
    private sealed class CollectingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Text)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Collector(Lines);

        public void Dispose()
        {
        }

        private sealed class Collector(ConcurrentQueue<(LogLevel, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}
