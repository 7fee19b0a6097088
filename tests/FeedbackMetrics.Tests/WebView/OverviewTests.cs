using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>The overview in a real browser: one row per model with the JSON's figures, sorting, filtering, keyboard, narrow windows.</summary>
public sealed class OverviewTests : BrowserTests
{
    [Test]
    public async Task Overview_lists_every_model_with_the_accuracy_of_the_json()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);

        await page.GotoAsync("/ui" + Fast);

        var deployments = RunningServer.ParseJson(await server.MetricsJsonTextAsync()).GetProperty("deployments").EnumerateArray().ToList();
        await Expect(page.Page.Locator("#models tbody tr.model-row")).ToHaveCountAsync(deployments.Count);
        foreach (var model in new[] { Feed.Iris, Feed.OneHot, Feed.Income })
        {
            var d = deployments.Single(model.Is);
            var count = d.GetProperty("count").GetInt64();
            var accuracy = d.GetProperty("accuracy").GetDouble();
            var row = page.Page.Locator(model.RowSelector);
            await Expect(row.Locator("td.col-accuracy .big")).ToHaveTextAsync(Shown.Percent(accuracy));
            // The server's own interval (no † mark, which flags one computed in the browser), equal to an independent Wilson.
            var interval = d.GetProperty("accuracyInterval");
            await Expect(row.Locator("td.col-accuracy .sub")).ToHaveTextAsync(Shown.Interval(interval.GetProperty("low").GetDouble(), interval.GetProperty("high").GetDouble()));
            Assert.That(Shown.Interval(interval.GetProperty("low").GetDouble(), interval.GetProperty("high").GetDouble()), Is.EqualTo(Shown.Wilson(count, accuracy)));
            await Expect(row.Locator("td.col-count")).ToHaveTextAsync(Shown.Count(count));
            await Expect(row.Locator("td.col-f1")).ToHaveTextAsync(Shown.Ratio(d.GetProperty("macro").GetProperty("f1").GetDouble()));
            await Expect(row.Locator("td.col-model")).ToContainTextAsync(model.Deployment);
            await Expect(row.Locator("td.col-model")).ToContainTextAsync(model.Namespace);
            // The server's windows (--windows defaults to last_100,1h), each chip with that window's accuracy.
            var windows = d.GetProperty("windows").EnumerateObject().ToList();
            Assert.That(windows.Select(w => w.Name), Is.EqualTo(new[] { "last_100", "1h" }));
            await Expect(row.Locator("td.col-windows .chip")).ToHaveCountAsync(windows.Count);
            foreach (var w in windows)
            {
                await Expect(row.Locator("td.col-windows")).ToContainTextAsync($"{w.Name} {Shown.Percent(w.Value.GetProperty("accuracy").GetDouble())}");
            }

            var shownAccuracy = await row.Locator("td.col-accuracy").GetAttributeAsync("data-value");
            Assert.That(double.Parse(shownAccuracy!, CultureInfo.InvariantCulture), Is.EqualTo(accuracy), $"{model.Deployment}: the accuracy the page holds");
        }

        // Fields the server does not send yet are shown as a dash, not as zero.
        await Expect(page.Page.Locator($"{Feed.Iris.RowSelector} td.col-labels")).ToHaveTextAsync("—");
        await Expect(page.Page.Locator($"{Feed.Iris.RowSelector} td.col-alerts")).ToHaveTextAsync("—");

        await Feed.TrickleAsync(server, page.Page);

        await Expect(page.Page.Locator($"{Feed.Iris.RowSelector} td.col-rate")).ToHaveTextAsync(new Regex(@"^\+\d+$"));
        await Expect(page.Page.Locator($"{Feed.Iris.RowSelector} td.col-trend path.spark-line")).ToHaveCountAsync(1);
        await page.ScreenshotAsync("ui-overview", forDocs: true);
        page.AssertClean();
    }

    [Test]
    public async Task Rows_sort_by_a_column_and_filter_by_name_and_the_url_keeps_both()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        var rows = page.Page.Locator("#models tbody tr.model-row");
        await Expect(rows).ToHaveCountAsync(3);

        var json = RunningServer.ParseJson(await server.MetricsJsonTextAsync()).GetProperty("deployments").EnumerateArray();
        var byAccuracy = json.OrderByDescending(d => d.GetProperty("accuracy").GetDouble()).Select(d => d.GetProperty("deployment").GetString()).ToList();

        await page.Page.Locator("th button.sort", new() { HasText = "Accuracy" }).ClickAsync();
        await Expect(page.Page.Locator("th[aria-sort='descending']")).ToContainTextAsync("Accuracy");
        var names = await page.Page.Locator("#models tbody tr.model-row .model-name").AllInnerTextsAsync();
        Assert.That(names.Select(n => n.Split(" / ")[0]), Is.EqualTo(byAccuracy));

        await page.Page.Locator("#filter").FillAsync("seldon default");
        await Expect(rows).ToHaveCountAsync(2);
        await page.Page.Locator("#filter").FillAsync("credit");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("income");
        Assert.That(page.Page.Url, Does.Contain("sort=-accuracy").And.Contain("q=credit"));

        await page.Page.ReloadAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(page.Page.Locator("#filter")).ToHaveValueAsync("credit");
        page.AssertClean();
    }

    [Test]
    public async Task A_row_held_down_across_a_refresh_still_opens_its_model_when_released()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        var row = page.Page.Locator(Feed.Iris.RowSelector);
        await Expect(row).ToBeVisibleAsync();
        var box = (await row.BoundingBoxAsync())!;

        // Pressed, then a refresh arrives (every second here) and the page has had time to draw it; then released.
        await page.Page.Mouse.MoveAsync(box.X + 20, box.Y + (box.Height / 2));
        await page.Page.Mouse.DownAsync();
        await page.Page.WaitForResponseAsync(r => r.Url.Contains("/v1/metrics", StringComparison.Ordinal));
        await page.Page.EvaluateAsync("() => new Promise(done => setTimeout(done, 300))");
        await page.Page.Mouse.UpAsync();

        await Expect(page.Page.Locator("#detail")).ToBeVisibleAsync();
        await Expect(page.Page.Locator("#detail-title")).ToContainTextAsync("iris");
        page.AssertClean();
    }

    [Test]
    public async Task A_row_opens_with_the_keyboard_and_escape_returns_to_it()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        await Expect(page.Page.Locator("#models tbody tr.model-row")).ToHaveCountAsync(3);

        // From the filter box, Tab reaches the rows (the sort buttons come first).
        await page.Page.Locator("#filter").FocusAsync();
        string? key = null;
        for (var i = 0; i < 20 && key is null; i++)
        {
            await page.Page.Keyboard.PressAsync("Tab");
            key = await page.Page.EvaluateAsync<string?>("() => document.activeElement?.matches('tr.model-row') ? document.activeElement.dataset.key : null");
        }

        Assert.That(key, Is.Not.Null, "no row was reached with Tab");
        await page.Page.Keyboard.PressAsync("Enter");
        await Expect(page.Page.Locator("#detail")).ToBeVisibleAsync();
        var names = JsonSerializer.Deserialize<string[]>(key!)!;
        await Expect(page.Page.Locator("#detail-title")).ToContainTextAsync(names[1]);
        await Expect(page.Page.Locator("#detail-title")).ToBeFocusedAsync();

        await page.Page.Keyboard.PressAsync("Escape");
        await Expect(page.Page.Locator("#overview")).ToBeVisibleAsync();
        Assert.That(await page.Page.EvaluateAsync<string?>("() => document.activeElement?.dataset.key ?? null"), Is.EqualTo(key), "the focus returns to the row");
        page.AssertClean();
    }

    [Test]
    public async Task A_narrow_window_needs_no_sideways_scrolling()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress, width: 390, height: 844);
        await page.GotoAsync("/ui" + Fast);
        await Expect(page.Page.Locator("#models tbody tr.model-row")).ToHaveCountAsync(3);
        Assert.That(await FitsAsync(page), Is.True, "the overview is wider than the window");
        await page.ScreenshotAsync("ui-overview-narrow");

        await page.Page.Locator(Feed.Iris.RowSelector).ClickAsync();
        await Expect(page.Page.Locator("table.matrix")).ToBeVisibleAsync();
        Assert.That(await FitsAsync(page), Is.True, "the detail is wider than the window");
        await page.ScreenshotAsync("ui-detail-narrow");
        page.AssertClean();
    }

    private static Task<bool> FitsAsync(WatchedPage page) =>
        page.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth");
}
