using System.Text.Json;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>One model's detail in a real browser: the heatmap is the JSON's confusion matrix, the per-class table its figures.</summary>
public sealed class DetailTests : BrowserTests
{
    [Test]
    public async Task Clicking_a_model_shows_a_heatmap_whose_cells_equal_the_confusion_matrix()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);

        await page.Page.Locator(Feed.Iris.RowSelector).ClickAsync();

        await Expect(page.Page.Locator("#detail-title")).ToContainTextAsync("iris");
        Assert.That(page.Page.Url, Does.Contain("dep=iris").And.Contain("model=iris-classifier").And.Contain("ns=seldon"));
        await Feed.TrickleAsync(server, page.Page);
        var iris = Deployment(await server.MetricsJsonTextAsync(), Feed.Iris);
        await Expect(page.Page.Locator("table.matrix td.grand")).ToHaveTextAsync(Shown.Count(iris.GetProperty("count").GetInt64()));
        var classes = iris.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var matrix = iris.GetProperty("confusionMatrix").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        Assert.That(classes, Is.EqualTo(Feed.IrisClasses));

        await Expect(page.Page.Locator("table.matrix th.col-cls")).ToHaveTextAsync(classes);
        await Expect(page.Page.Locator("table.matrix th.row-cls")).ToHaveTextAsync(classes);
        await Expect(page.Page.Locator("table.matrix td.cell")).ToHaveCountAsync(classes.Length * classes.Length);
        Assert.That(await CellsAsync(page, "data-count"), Is.EqualTo(matrix.SelectMany(r => r.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        Assert.That(await page.Page.Locator("table.matrix td.cell .cell-count").AllInnerTextsAsync(), Is.EqualTo(matrix.SelectMany(r => r.Select(c => Shown.Count(c)))));
        await Expect(page.Page.Locator("table.matrix td.cell.diag")).ToHaveCountAsync(classes.Length);

        var perClass = iris.GetProperty("perClass").EnumerateArray().ToList();
        await Expect(page.Page.Locator("table.per-class tbody tr")).ToHaveCountAsync(perClass.Count);
        foreach (var c in perClass)
        {
            var row = page.Page.Locator($"table.per-class tbody tr[data-class='{c.GetProperty("class").GetString()}'] td");
            await Expect(row).ToHaveTextAsync(
            [
                Shown.Ratio(c.GetProperty("precision").GetDouble()), Shown.Ratio(c.GetProperty("recall").GetDouble()),
                Shown.Ratio(c.GetProperty("f1").GetDouble()), Shown.Count(c.GetProperty("support").GetInt64()), string.Empty,
            ]);
        }

        await Expect(page.Page.Locator("[data-tile='accuracy'] .tile-value")).ToHaveTextAsync(Shown.Percent(iris.GetProperty("accuracy").GetDouble()));
        await Expect(page.Page.Locator(".tile-trend path.spark-line")).ToHaveCountAsync(1);
        await page.ScreenshotAsync("ui-detail", forDocs: true);
        page.AssertClean();
    }

    [Test]
    public async Task The_detail_shows_the_servers_windows_and_probabilistic_figures()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);

        await page.Page.Locator(Feed.OneHot.RowSelector).ClickAsync();

        // The one-hot model's responses are probability vectors: the server sends probabilistic figures, the page draws them.
        var d = Deployment(await server.MetricsJsonTextAsync(), Feed.OneHot);
        var p = d.GetProperty("probabilistic");
        var panel = page.Page.Locator("section.panel-wide", new() { HasText = "Probabilities" });
        await Expect(panel).ToContainTextAsync(Shown.Ratio(p.GetProperty("logLoss").GetDouble()));
        await Expect(panel).ToContainTextAsync(Shown.Ratio(p.GetProperty("brier").GetDouble()));
        await Expect(panel).ToContainTextAsync(Shown.Ratio(p.GetProperty("ece").GetDouble()));
        await Expect(panel).ToContainTextAsync($"Top-{p.GetProperty("topK").GetProperty("k").GetInt32()} accuracy");

        // All time, then one row per window of the server, each with that window's accuracy.
        var windows = page.Page.Locator("table.windows tbody tr");
        await Expect(windows).ToHaveCountAsync(1 + d.GetProperty("windows").EnumerateObject().Count());
        foreach (var w in d.GetProperty("windows").EnumerateObject())
        {
            await Expect(page.Page.Locator("table.windows tbody")).ToContainTextAsync(w.Name);
            await Expect(page.Page.Locator("table.windows tbody")).ToContainTextAsync(Shown.Percent(w.Value.GetProperty("accuracy").GetDouble()));
        }

        page.AssertClean();
    }

    [Test]
    public async Task Row_percentages_toggle_and_the_selection_survives_a_reload()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        await page.Page.Locator(Feed.Iris.RowSelector).ClickAsync();
        await Expect(page.Page.Locator("table.matrix")).ToBeVisibleAsync();

        await page.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Row %" }).ClickAsync();

        var matrix = Deployment(await server.MetricsJsonTextAsync(), Feed.Iris).GetProperty("confusionMatrix").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        var shares = matrix.SelectMany(r => r.Select(c => Share(c, r.Sum()))).ToArray();
        await Expect(page.Page.Locator("table.matrix td.cell > span:first-child")).ToHaveTextAsync(shares);
        await Expect(page.Page.Locator("table.matrix")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("matrix-percent"));
        Assert.That(page.Page.Url, Does.Contain("cells=percent"));

        await page.Page.ReloadAsync();
        await Expect(page.Page.Locator("#detail-title")).ToContainTextAsync("iris");
        await Expect(page.Page.Locator("table.matrix td.cell > span:first-child")).ToHaveTextAsync(shares);

        await page.Page.GoBackAsync();
        await Expect(page.Page.Locator("#overview")).ToBeVisibleAsync();
        await page.Page.GoForwardAsync();
        await Expect(page.Page.Locator("#detail")).ToBeVisibleAsync();
        await page.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "← All models" }).ClickAsync();
        await Expect(page.Page.Locator("#models tbody tr.model-row")).ToHaveCountAsync(3);
        page.AssertClean();
    }

    [Test]
    public async Task A_link_to_a_model_that_is_gone_says_so()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast + "#ns=seldon&dep=nope&pred=default&model=m");
        await Expect(page.Page.Locator("#detail")).ToContainTextAsync("no figures");
        await page.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "← All models" }).ClickAsync();
        await Expect(page.Page.Locator("#models tbody tr.model-row")).ToHaveCountAsync(3);
        page.AssertClean();
    }

    [Test]
    public async Task A_model_with_many_classes_gets_a_compact_heatmap_of_its_busiest_classes()
    {
        await using var server = await StartServerAsync();

        // 70 classes: each of the first 60 has two right rows, the last 10 one each; a few mistakes among the first.
        var truth = Enumerable.Range(0, 70).SelectMany(i => Enumerable.Repeat(i, i < 60 ? 2 : 1)).Concat([3, 4, 5]).ToArray();
        var predicted = Enumerable.Range(0, 70).SelectMany(i => Enumerable.Repeat(i, i < 60 ? 2 : 1)).Concat([4, 5, 65]).ToArray();
        await Feed.PostAsync(server, Feed.Wide, Events.Body(JsonSerializer.Serialize(predicted), JsonSerializer.Serialize(truth)));

        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        await page.Page.Locator(Feed.Wide.RowSelector).ClickAsync();

        await Expect(page.Page.Locator("table.matrix.matrix-compact")).ToBeVisibleAsync();
        await Expect(page.Page.Locator(".heatmap")).ToContainTextAsync("70 classes: showing the 60 with the most rows");
        var matrix = Deployment(await server.MetricsJsonTextAsync(), Feed.Wide).GetProperty("confusionMatrix").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        Assert.That(matrix, Has.Length.EqualTo(70));
        await Expect(page.Page.Locator("table.matrix th.col-cls")).ToHaveTextAsync(Enumerable.Range(0, 60).Select(i => $"CLASS_{i}").ToArray());
        var shown = Enumerable.Range(0, 60).ToArray();
        Assert.That(await CellsAsync(page, "data-count"), Is.EqualTo(shown.SelectMany(i => shown.Select(j => matrix[i][j].ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        await Expect(page.Page.Locator("table.matrix td.grand")).ToHaveTextAsync(Shown.Count(matrix.Sum(r => r.Sum())));
        await page.ScreenshotAsync("ui-detail-many-classes");
        page.AssertClean();
    }

    /// <summary>A row-normalised share as a cell shows it: one decimal under 10 %, none above.</summary>
    internal static string Share(long cell, long row)
    {
        if (row == 0)
        {
            return "—";
        }

        var share = (double)cell / row;
        return Shown.Percent(share, share > 0 && share < 0.1 ? 1 : 0);
    }

    internal static JsonElement Deployment(string json, ModelId model) =>
        RunningServer.ParseJson(json).GetProperty("deployments").EnumerateArray().Single(model.Is);

    private static async Task<string[]> CellsAsync(WatchedPage page, string attribute) =>
        [.. await page.Page.Locator("table.matrix td.cell").EvaluateAllAsync<string[]>($"cells => cells.map(c => c.getAttribute('{attribute}'))")];
}
