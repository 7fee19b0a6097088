using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>
/// No Docker engine runs here, so the image is checked by its parts: the Dockerfile's own publish command is
/// run as written and what it produces is started with the image's environment; user, port, volume and
/// entrypoint are read from the file.
/// </summary>
[Category("Deploy")]
public sealed class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(Tools.InRepo("Dockerfile"));

    private static string Instruction(string name) =>
        Lines.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    [Test]
    public void Image_runs_as_uid_8888_on_port_8080_with_state_in_a_volume()
    {
        Assert.That(Instruction("USER"), Is.EqualTo("8888:8888"));
        Assert.That(Instruction("EXPOSE"), Is.EqualTo("8080"));
        Assert.That(Instruction("VOLUME"), Is.EqualTo("/var/lib/feedback-metrics"));
        Assert.That(ImageEnvironment()["FeedbackMetrics__State__Dir"], Is.EqualTo("/var/lib/feedback-metrics"));
        Assert.That(Instruction("ENTRYPOINT"), Is.EqualTo("""["dotnet", "/app/FeedbackMetrics.Server.dll"]"""), "Seldon's arguments follow the entrypoint unchanged");
        Assert.That(Lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)), Is.EqualTo(2), "multi-stage: SDK build, ASP.NET runtime");
    }

    [Test]
    public async Task The_dockerfiles_publish_command_builds_a_server_that_starts_with_seldons_arguments()
    {
        var publish = Lines.Single(l => l.StartsWith("RUN dotnet publish", StringComparison.Ordinal))[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var output = Path.Combine(Path.GetTempPath(), "fm-publish", Guid.NewGuid().ToString("N"));
        var args = publish.Skip(1).Select(a => a == "/app" ? output : a).ToArray();
        Assert.That(args, Does.Contain(output), "the publish command writes to /app");
        Tools.RunOk("dotnet", args);

        var stateDir = Path.Combine(output, "state");
        foreach (var (name, value) in ImageEnvironment())
        {
            Environment.SetEnvironmentVariable(name, name == "FeedbackMetrics__State__Dir" ? stateDir : value);
        }

        try
        {
            await using var server = await ServerProcessFromPublish(output);
            using var response = await server.Client.GetAsync("/ready");
            Assert.That(response.IsSuccessStatusCode, Is.True);
            Assert.That(File.Exists(Path.Combine(stateDir, "feedback-metrics.db")), Is.True, "the state goes where the image's environment says");
        }
        finally
        {
            foreach (var name in ImageEnvironment().Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }

            Directory.Delete(output, recursive: true);
        }
    }

    private static Task<ServerProcess> ServerProcessFromPublish(string output) =>
        ServerProcess.StartAsync(
            Path.Combine(output, "FeedbackMetrics.Server.dll"),
            stateDir: null,
            "--model_name", "multiclassserver", "--protocol", "seldonfeedback.http",
            "--storage_uri", "adserver.cm_models.multiclass_one_hot.MulticlassOneHot",
            "--event_type", "io.seldon.serving.feedback.metrics", "--event_source", "io.seldon.serving.feedback", "MetricsServer");

    private static Dictionary<string, string> ImageEnvironment()
    {
        var start = Array.FindIndex(Lines, l => l.StartsWith("ENV ", StringComparison.Ordinal));
        var text = string.Join(' ', Lines.Skip(start).TakeWhile((l, i) => i == 0 || Lines[start + i - 1].EndsWith('\\')).Select(l => l.TrimEnd('\\').Trim()))[4..];
        return text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }
}
