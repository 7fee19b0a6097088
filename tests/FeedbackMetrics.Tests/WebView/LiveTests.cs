using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>The page follows the server: the empty state's curl line counts a first event, and new events show without a reload.</summary>
public sealed class LiveTests : BrowserTests
{
    [Test]
    public async Task An_empty_server_shows_a_curl_line_that_counts_a_first_event()
    {
        await using var server = await StartServerAsync();
        await using var page = await Chromium.OpenAsync(server.BaseAddress);

        await page.GotoAsync("/ui" + Fast);

        await Expect(page.Page.Locator("#empty")).ToBeVisibleAsync();
        await Expect(page.Page.Locator("#overview")).ToBeHiddenAsync();
        var curl = await page.Page.Locator("#curl-line").InnerTextAsync();
        Assert.That(curl, Does.StartWith("curl ").And.Contain(server.BaseAddress.ToString()).And.Contain("ce-type: io.seldon.serving.feedback"));
        await page.ScreenshotAsync("ui-empty");

        // The line works as shown.
        var answer = Tools.RunOk("/bin/sh", "-c", curl.Replace("curl ", Tools.Curl + " ", StringComparison.Ordinal));
        Assert.That(answer, Does.StartWith("HTTP/1.1 200"));

        await Expect(page.Page.Locator("#models tbody tr.model-row")).ToHaveCountAsync(1);
        await Expect(page.Page.Locator("#models td.col-accuracy .big")).ToHaveTextAsync("100.0 %");
        await Expect(page.Page.Locator("#empty")).ToBeHiddenAsync();
        page.AssertClean();
    }

    [Test]
    public async Task The_root_path_serves_the_page_to_a_browser()
    {
        await using var server = await StartServerAsync();
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/" + Fast);
        await Expect(page.Page.Locator("#empty")).ToBeVisibleAsync();
        Assert.That(await page.Page.Locator("#curl-line").InnerTextAsync(), Does.Contain(server.BaseAddress.ToString()));
        page.AssertClean();
    }

    [Test]
    public async Task Overview_and_detail_follow_new_events_without_a_reload()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        var before = DetailTests.Deployment(await server.MetricsJsonTextAsync(), Feed.Iris);
        var countCell = page.Page.Locator($"{Feed.Iris.RowSelector} td.col-count");
        await Expect(countCell).ToHaveTextAsync(Shown.Count(before.GetProperty("count").GetInt64()));

        await Feed.PostIrisAsync(server, (2, 0), (2, 0), (2, 0), (2, 0));

        var after = DetailTests.Deployment(await server.MetricsJsonTextAsync(), Feed.Iris);
        Assert.That(after.GetProperty("count").GetInt64(), Is.EqualTo(before.GetProperty("count").GetInt64() + 4));
        await Expect(countCell).ToHaveTextAsync(Shown.Count(after.GetProperty("count").GetInt64()));
        await Expect(page.Page.Locator($"{Feed.Iris.RowSelector} td.col-accuracy .big")).ToHaveTextAsync(Shown.Percent(after.GetProperty("accuracy").GetDouble()));
        await Expect(page.Page.Locator($"{Feed.Iris.RowSelector} td.col-rate")).ToHaveTextAsync("+4");

        await page.Page.Locator(Feed.Iris.RowSelector).ClickAsync();
        var cell = page.Page.Locator("table.matrix td.cell[data-row='2'][data-col='0']");
        await Expect(cell).ToHaveAttributeAsync("data-count", "4");

        await Feed.PostIrisAsync(server, (2, 0), (0, 0));

        await Expect(cell).ToHaveAttributeAsync("data-count", "5");
        await Expect(page.Page.Locator("table.matrix td.cell[data-row='0'][data-col='0']")).ToHaveAttributeAsync("data-count", (Feed.IrisRows[0].Times + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Page.Locator("table.matrix td.grand")).ToHaveTextAsync(Shown.Count(after.GetProperty("count").GetInt64() + 2));
        page.AssertClean();
    }

    [Test]
    public async Task An_alert_the_server_fires_shows_on_the_overview_and_the_detail()
    {
        var rules = Path.Combine(Path.GetTempPath(), $"fm-ui-rules-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - {name: iris-accuracy-drop, metric: accuracy, below: 0.99, min_observations: 1, selector: {deployment: iris}}\n");
        await using var server = await RunningServer.StartAsync([.. Feed.ServerArgs, "--alert_rules", rules, "--alert_interval", "00:00:00.100"]);
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);

        await page.GotoAsync("/ui" + Fast);

        // The server's own alert JSON (not a stub): one firing alert on iris, none elsewhere.
        await Expect(page.Page.Locator($"{Feed.Iris.RowSelector} td.col-alerts")).ToHaveTextAsync("▲ 1 firing");
        await Expect(page.Page.Locator($"{Feed.OneHot.RowSelector} td.col-alerts")).ToHaveTextAsync("none");
        await Expect(page.Page.Locator("#alerts-banner")).ToContainTextAsync("iris-accuracy-drop");
        await page.Page.Locator(Feed.Iris.RowSelector).ClickAsync();
        await Expect(page.Page.Locator(".alerts-inline")).ToContainTextAsync("iris-accuracy-drop");
        page.AssertClean();
        File.Delete(rules);
    }
}
