using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>The join's series pass promtool's checks too (Debian's promtool, as the other exposition test).</summary>
[Category("Deploy")]
public sealed class JoinPromtoolTests
{
    [Test]
    public async Task Exposition_with_join_series_passes_promtool_check_metrics_without_warnings()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        var ids = new Dictionary<string, string> { ["namespace"] = "ns", ["inferenceservicename"] = "iris", ["requestid"] = "r1" };
        await server.PostBinaryAsync("""{"data": {"ndarray": [[0.2, 0.8]]}}""", "resp", "io.seldon.serving.inference.response", extensions: ids);
        await server.PostBinaryAsync("""{"truth": {"data": {"ndarray": [[1]]}}}""", "truth", Events.FeedbackType, extensions: ids);
        await server.PostBinaryAsync("""{"truth": {"data": {"ndarray": [[1]]}}}""", "parked", Events.FeedbackType, extensions: new Dictionary<string, string>(ids) { ["requestid"] = "r2" });
        var exposition = await server.Client.GetStringAsync("/v1/metrics");
        Assert.That(exposition, Does.Contain("feedback_metrics_join_label_delay_seconds{"));

        var file = Path.Combine(Path.GetTempPath(), $"fm-metrics-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, exposition);
        var (code, output) = Binaries.Run("bash", "-c", $"{Tools.Promtool} check metrics < {file}");
        File.Delete(file);
        Assert.That(code, Is.Zero, output);
        Assert.That(output.Trim(), Is.Empty, "no warnings");
    }
}
