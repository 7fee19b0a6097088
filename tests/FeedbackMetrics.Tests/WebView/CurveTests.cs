using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Tests.Core;
using FeedbackMetrics.Tests.Server;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>The threshold-free figures in a real browser: ROC AUC and average precision, and for two classes the curves.</summary>
public sealed class CurveTests : BrowserTests
{
    private static readonly ModelId Binary = new("seldon", "binary-model", "default", "classifier");

    [Test]
    public async Task A_two_class_model_shows_roc_auc_average_precision_and_both_curves_from_the_json_thresholds()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        var random = new Random(4);
        for (var e = 0; e < 20; e++)
        {
            using var request = RankFigureTests.Feedback(Binary.Deployment, $"curve-{e}", [.. Enumerable.Range(0, 10).Select(_ => ScoreStreams.Next(random, 2, ScoreKind.Realistic))]);
            using var response = await server.Client.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
        }

        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        await page.Page.Locator(Binary.RowSelector).ClickAsync();

        var p = Deployment(await server.MetricsJsonTextAsync(), Binary).GetProperty("probabilistic");
        var panel = page.Page.Locator("section.panel-wide", new() { HasText = "Probabilities" });
        await Expect(panel.Locator("[data-tile='roc-auc'] .tile-value")).ToHaveTextAsync(Shown.Ratio(p.GetProperty("rocAuc").GetDouble()));
        await Expect(panel.Locator("[data-tile='average-precision'] .tile-value")).ToHaveTextAsync(Shown.Ratio(p.GetProperty("averagePrecision").GetDouble()));
        await Expect(panel.Locator("[data-tile='best-f1'] .tile-value")).ToHaveTextAsync(p.GetProperty("bestF1Threshold").GetDouble().ToString(CultureInfo.InvariantCulture));

        // One point per threshold of the JSON, each where its false positive rate and recall (or recall and precision) put it.
        var steps = p.GetProperty("thresholds").EnumerateArray().ToList();
        var roc = panel.Locator("svg.chart-roc");
        await Expect(roc.Locator("path.curve")).ToHaveCountAsync(1);
        await Expect(roc.Locator("circle.dot")).ToHaveCountAsync(steps.Count);
        await Expect(panel.Locator("svg.chart-pr path.curve")).ToHaveCountAsync(1);
        foreach (var step in steps.Where((_, i) => i % 6 == 0))
        {
            var threshold = step.GetProperty("threshold").GetDouble().ToString(CultureInfo.InvariantCulture);
            var dot = roc.Locator($"circle.dot[data-threshold='{threshold}']");
            await Expect(dot.Locator("title")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(
                $"threshold {threshold}: precision {Shown.Ratio(step.GetProperty("precision").GetDouble())}, recall {Shown.Ratio(step.GetProperty("recall").GetDouble())}"));
            var cx = double.Parse(await dot.GetAttributeAsync("cx") ?? "", CultureInfo.InvariantCulture);
            Assert.That(cx, Is.EqualTo(44 + (step.GetProperty("falsePositiveRate").GetDouble() * 266)).Within(0.06), $"threshold {threshold}: x is its false positive rate");
        }

        await page.ScreenshotAsync("ui-curves", forDocs: true);

        // A model of four classes has the one-vs-rest figures but no curves.
        await page.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "← All models" }).ClickAsync();
        await page.Page.Locator(Feed.OneHot.RowSelector).ClickAsync();
        var oneHot = Deployment(await server.MetricsJsonTextAsync(), Feed.OneHot).GetProperty("probabilistic");
        var multiclass = page.Page.Locator("section.panel-wide", new() { HasText = "Probabilities" });
        await Expect(multiclass.Locator("[data-tile='roc-auc'] .tile-value")).ToHaveTextAsync(Shown.Ratio(oneHot.GetProperty("rocAuc").GetDouble()));
        await Expect(multiclass.Locator("[data-tile='roc-auc']")).ToContainTextAsync("one-vs-rest");
        await Expect(multiclass.Locator("svg.chart-roc")).ToHaveCountAsync(0);
        page.AssertClean();
    }

    private static JsonElement Deployment(string json, ModelId id) =>
        JsonDocument.Parse(json).RootElement.GetProperty("deployments").EnumerateArray().Single(id.Is);
}
