using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Server.Alerts;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Alerts;

/// <summary>
/// A segment gap alert end to end: a server with <c>--segment_by region</c>, the Seldon executor's feedback event (the
/// metrics-server notebook's, as it is on the wire) sent per region with a <c>Ce-Region</c> header, one region clearly
/// worse; the alert CloudEvent at the reply URL and the JSON view name both values, and the alert resolves when the
/// worse region catches up.
/// </summary>
public sealed class SegmentGapAlertFlowTests
{
    private const string Rules =
        """
        rules:
          - name: region-accuracy-gap
            segment_gap: region
            metric: accuracy
            above: 0.2
            min_observations: 20
            selector: {deployment: multiclass-model}
        """;

    private static readonly RealSenderFixture Notebook = RealSenderFixture.Load("seldon-executor/feedback-ndarray-metrics-server-notebook");

    [Test]
    public async Task A_region_clearly_worse_than_another_fires_a_gap_alert_naming_both_and_resolves_when_it_catches_up()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-alerts", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var rules = Path.Combine(dir, "rules.yaml");
        await File.WriteAllTextAsync(rules, Rules);
        await using var listener = await ReplyListener.StartAsync();
        await using var server = await RunningServer.StartAsync(
            ["--state", "memory", "--segment_by", "region", "--alert_rules", rules, "--alert_interval", "00:00:00.100", "--reply_url", listener.Url.ToString()]);

        // us: 20 of 20 right (95 % interval about 0.84–1); eu: 5 of 20 right (about 0.11–0.47). eu's rows come last, so
        // no round can judge the gap before both values rest on 20 rows.
        await SendAsync(server, "us", right: 20, wrong: 0);
        await SendAsync(server, "eu", right: 5, wrong: 15);

        var fired = await NextAlertAsync(listener);
        Assert.That(fired["state"]!.GetValue<string>(), Is.EqualTo("firing"));
        Assert.That((fired["rule"]!.GetValue<string>(), fired["metric"]!.GetValue<string>(), fired["comparison"]!.GetValue<string>()), Is.EqualTo(("region-accuracy-gap", "accuracy", "segment_gap_above")));
        Assert.That((fired["value"]!.GetValue<double>(), fired["threshold"]!.GetValue<double>(), fired["observations"]!.GetValue<long>()), Is.EqualTo((0.75, 0.2, 20L)));
        AssertGap(fired["segmentGap"]!, max: 1, min: 0.25, minObservations: 20, apart: true);
        Assert.That(fired["message"]!.GetValue<string>(), Is.EqualTo(
            "accuracy across region is 1 at us (20 rows) and 0.25 at eu (20 rows), a gap of 0.75 above 0.2 with their 95 % intervals apart (rule region-accuracy-gap)"));

        var listed = (await server.MetricsJsonAsync())["alerts"]!.AsArray().Single()!;
        Assert.That((listed["rule"]!.GetValue<string>(), listed["state"]!.GetValue<string>(), listed["deployment"]!.GetValue<string>()), Is.EqualTo(("region-accuracy-gap", "firing", "multiclass-model")));
        AssertGap(listed["segmentGap"]!, max: 1, min: 0.25, minObservations: 20, apart: true);
        Assert.That((await server.PrometheusAsync()).Value("feedback_metrics_alert_firing", ("rule", "region-accuracy-gap"), ("deployment_name", "multiclass-model")), Is.EqualTo(1));

        // A rule naming a segment the server does not keep refuses the file; the gap rule stays in force and keeps firing.
        // Each file is written whole and moved into place, so the server's watcher never reads half of one.
        await ReplaceAsync(rules, Rules.Replace("segment_gap: region", "segment_gap: country", StringComparison.Ordinal));
        var board = server.Get<AlertBoard>();
        await WaitAsync(() => board.FileError?.Contains("country", StringComparison.Ordinal) == true);
        Assert.That(board.FileError, Does.Contain("rule 'region-accuracy-gap': segment_gap 'country' is not one of --segment_by (region)"));
        Assert.That((await server.PrometheusAsync()).Value("feedback_metrics_alert_rules_file_errors_total"), Is.GreaterThanOrEqualTo(1));
        Assert.That((await server.MetricsJsonAsync())["alerts"]!.AsArray().Single()!["rule"]!.GetValue<string>(), Is.EqualTo("region-accuracy-gap"));
        await ReplaceAsync(rules, Rules);
        await WaitAsync(() => board.FileError is null);

        // eu catches up: 180 more right rows, 185 of 200 (0.925), within 0.2 of us.
        await SendAsync(server, "eu", right: 180, wrong: 0);
        var resolved = await NextAlertAsync(listener);
        Assert.That(resolved["state"]!.GetValue<string>(), Is.EqualTo("resolved"));
        Assert.That((resolved["segmentGap"]!["maxValue"]!.GetValue<string>(), resolved["segmentGap"]!["minValue"]!.GetValue<string>()), Is.EqualTo(("us", "eu")));
        Assert.That(resolved["message"]!.GetValue<string>(), Does.StartWith("accuracy across region is 1 at us (20 rows) and ").And.Contain(": back to a gap of "));
        Assert.That((await server.MetricsJsonAsync())["alerts"]!.AsArray(), Is.Empty);
        Directory.Delete(dir, recursive: true);
    }

    private static async Task ReplaceAsync(string path, string text)
    {
        var written = path + ".new";
        await File.WriteAllTextAsync(written, text);
        File.Move(written, path, overwrite: true);
    }

    private static void AssertGap(JsonNode gap, double max, double min, long minObservations, bool apart)
    {
        Assert.That(gap["segment"]!.GetValue<string>(), Is.EqualTo("region"));
        Assert.That((gap["maxValue"]!.GetValue<string>(), gap["max"]!.GetValue<double>(), gap["maxObservations"]!.GetValue<long>()), Is.EqualTo(("us", max, 20L)));
        Assert.That((gap["minValue"]!.GetValue<string>(), gap["min"]!.GetValue<double>(), gap["minObservations"]!.GetValue<long>()), Is.EqualTo(("eu", min, minObservations)));
        Assert.That((gap["gap"]!.GetValue<double>(), gap["apart"]!.GetValue<bool>()), Is.EqualTo((max - min, apart)));
    }

    /// <summary>
    /// Sends the notebook's feedback event once per row, as the executor does (a new <c>Ce-Id</c> and request id per log
    /// call), with <c>Ce-Region</c>; a wrong row is the same bytes with the truth moved to the first class.
    /// </summary>
    private static async Task SendAsync(RunningServer server, string region, int right, int wrong)
    {
        for (var i = 0; i < right + wrong; i++)
        {
            using var request = Notebook.ToRequest();
            request.Headers.Remove("Ce-Id");
            request.Headers.Remove("Ce-Requestid");
            request.Headers.TryAddWithoutValidation("Ce-Id", Guid.NewGuid().ToString());
            request.Headers.TryAddWithoutValidation("Ce-Requestid", Guid.NewGuid().ToString());
            request.Headers.TryAddWithoutValidation("Ce-Region", region);
            if (i >= right)
            {
                Assert.That(Notebook.Body, Does.Contain("\"ndarray\": [[0,0,1]]"));
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Notebook.Body.Replace("\"ndarray\": [[0,0,1]]", "\"ndarray\": [[1,0,0]]", StringComparison.Ordinal)));
                request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            }

            using var response = await server.Client.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        }
    }

    private static async Task<JsonNode> NextAlertAsync(ReplyListener listener)
    {
        while (true)
        {
            var posted = await listener.NextAsync(TimeSpan.FromSeconds(20));
            if (posted.Headers["ce-type"] == "io.seldon.serving.feedback.alert")
            {
                Assert.That(posted.Headers["ce-inferenceservicename"], Is.EqualTo("multiclass-model"));
                return JsonNode.Parse(posted.Body)!;
            }
        }
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.That(condition(), Is.True);
    }
}
