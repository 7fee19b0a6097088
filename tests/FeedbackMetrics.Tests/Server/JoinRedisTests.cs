using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>With the Redis store the join is not kept (yet): what the server then does with the join's two halves.</summary>
[Category("Redis")]
public sealed class JoinRedisTests
{
    [Test]
    public async Task With_redis_a_response_event_is_only_acknowledged_and_a_truth_only_feedback_refused_with_the_reason()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await RunningServer.StartAsync(["--state", redis.Url]);
        var ids = new Dictionary<string, string> { ["namespace"] = "ns", ["inferenceservicename"] = "d", ["requestid"] = "r1" };
        using var response = await server.PostBinaryAsync("""{"data": {"ndarray": [[0.9, 0.1]]}}""", "resp", "io.seldon.serving.inference.response", extensions: ids);
        using var truth = await server.PostBinaryAsync("""{"truth": {"data": {"ndarray": [[0]]}}}""", "truth", Events.FeedbackType, extensions: ids);
        var metrics = await server.PrometheusAsync();
        var detail = await truth.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(202));
            Assert.That(metrics.Value("feedback_metrics_ignored_events_total", ("type", "io.seldon.serving.inference.response")), Is.EqualTo(1));
            Assert.That((int)truth.StatusCode, Is.EqualTo(400));
            Assert.That(detail, Does.Contain("--state redis"));
        });
    }
}
