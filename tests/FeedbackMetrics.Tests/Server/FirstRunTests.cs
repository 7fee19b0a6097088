using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>README's run command, as a user types it in a fresh clone, does what README says.</summary>
public sealed class FirstRunTests
{
    [Test]
    public async Task Dotnet_run_keeps_the_default_state_directory_under_the_directory_it_was_typed_in()
    {
        var typedIn = Path.Combine(Path.GetTempPath(), "fm-first-run", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(typedIn);
        try
        {
            await using (var server = await ServerProcess.StartWithDotnetRunAsync(typedIn, "MetricsServer"))
            {
                using var counted = await server.Client.SendAsync(FeedbackRequest());
                Assert.That((int)counted.StatusCode, Is.EqualTo(200), server.Output);
                var data = Path.Combine(typedIn, "data");
                Assert.That(server.Output, Does.Contain($"state sqlite in {data},").And.Contain($"State restored from sqlite {data}/feedback-metrics.db"), "the log names the absolute path");
            }

            Assert.That(File.Exists(Path.Combine(typedIn, "data", "feedback-metrics.db")), Is.True, "the state is in ./data of the directory the command was typed in");
            Assert.That(Directory.Exists(Tools.InRepo("src", "FeedbackMetrics.Server", "data")), Is.False, "nothing is written into the project's folder");
        }
        finally
        {
            Directory.Delete(typedIn, recursive: true);
        }
    }

    private static HttpRequestMessage FeedbackRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Events.SeedBody) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", Events.FeedbackType);
        request.Headers.Add("ce-source", "first-run");
        request.Headers.Add("ce-id", "1");
        return request;
    }
}
