using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>The detail page draws the join backlog, label delay and estimate from the server's own JSON (no stand-in fields).</summary>
public sealed class JoinWebViewTests : BrowserTests
{
    [Test]
    public async Task The_detail_page_shows_the_join_backlog_and_the_estimate_the_server_computed()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        var identity = new Dictionary<string, string> { ["namespace"] = "ns", ["inferenceservicename"] = "late", ["endpoint"] = "default", ["modelid"] = "clf" };
        Dictionary<string, string> With(string requestId) => new(identity) { ["requestid"] = requestId };
        await server.PostBinaryAsync("""{"data": {"ndarray": [[0.9, 0.05, 0.05]]}}""", "resp-a", "io.seldon.serving.inference.response", extensions: With("a"));
        await server.PostBinaryAsync("""{"data": {"ndarray": [[0.05, 0.9, 0.05]]}}""", "resp-b", "io.seldon.serving.inference.response", extensions: With("b"));
        await server.PostBinaryAsync("""{"truth": {"data": {"ndarray": [[0]]}}}""", "truth-a", Events.FeedbackType, extensions: With("a"));
        await server.PostBinaryAsync("""{"truth": {"data": {"ndarray": [[2]]}}}""", "truth-x", Events.FeedbackType, extensions: With("x"));

        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast + "#ns=ns&dep=late&pred=default&model=clf");

        var facts = page.Page.Locator("section", new() { HasText = "Labels and join" }).Locator("dl.facts");
        await Expect(facts).ToContainTextAsync("Pending responses1");
        await Expect(facts).ToContainTextAsync("Parked truths1");
        await Expect(facts).ToContainTextAsync("Joined1");
        await Expect(page.Page.Locator(".tile", new() { HasText = "Estimated accuracy" })).ToContainTextAsync("from 1");
        await page.ScreenshotAsync("ui-detail-join");
    }
}
