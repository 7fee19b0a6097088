using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;
using Microsoft.Playwright;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>
/// Fields DESIGN.md adds to the JSON (windows, intervals, probabilistic figures, join, label delay, estimate, shift,
/// alerts) are drawn when present. The server's real JSON is extended with them on its way to the page.
/// </summary>
public sealed class ContractTests : BrowserTests
{
    private static readonly long[][] WindowMatrix = [[9, 0, 0], [0, 6, 3], [0, 4, 8]];

    [Test]
    public async Task Fields_beyond_todays_json_are_drawn_when_present()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.Page.RouteAsync(url => url.Contains("/v1/metrics", StringComparison.Ordinal), async route =>
        {
            var json = JsonNode.Parse(await server.MetricsJsonTextAsync())!.AsObject();
            Extend(json);
            await route.FulfillAsync(new RouteFulfillOptions { ContentType = "application/json", Body = json.ToJsonString() });
        });

        await page.GotoAsync("/ui" + Fast);

        var iris = page.Page.Locator(Feed.Iris.RowSelector);
        await Expect(iris.Locator("td.col-accuracy .sub")).ToHaveTextAsync("80.0–95.0 %");
        await Expect(iris.Locator("td.col-windows .chip")).ToHaveTextAsync(["last_100 70.0 %", "1h 84.0 %"]);
        await Expect(iris.Locator("td.col-labels")).ToContainTextAsync("83 %");
        await Expect(iris.Locator("td.col-labels")).ToContainTextAsync("backlog 12");
        await Expect(iris.Locator("td.col-alerts")).ToHaveTextAsync("▲ 1 firing");
        await Expect(page.Page.Locator($"{Feed.OneHot.RowSelector} td.col-alerts")).ToHaveTextAsync("none");
        await Expect(page.Page.Locator("#alerts-banner")).ToContainTextAsync("1 alert firing: iris-accuracy-drop accuracy (1h) < 0.9");
        await page.Page.Locator("#only-firing").CheckAsync();
        await Expect(page.Page.Locator("#models tbody tr.model-row")).ToHaveCountAsync(1);
        await page.ScreenshotAsync("ui-overview-full-contract");

        await iris.ClickAsync();
        await Expect(page.Page.Locator(".window-select button")).ToHaveTextAsync(["All time", "last_100", "1h"]);
        await page.Page.Locator(".window-select button", new() { HasText = "last_100" }).ClickAsync();
        Assert.That(page.Page.Url, Does.Contain("window=last_100"));
        var cells = await page.Page.Locator("table.matrix td.cell").EvaluateAllAsync<string[]>("cells => cells.map(c => c.dataset.count)");
        Assert.That(cells, Is.EqualTo(WindowMatrix.SelectMany(r => r.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        await Expect(page.Page.Locator("[data-tile='accuracy'] .tile-value")).ToHaveTextAsync("70.0 %");

        await Expect(page.Page.Locator("#detail")).ToContainTextAsync("Log loss");
        await Expect(page.Page.Locator("svg.chart")).ToHaveCountAsync(2);
        await Expect(page.Page.Locator("svg.chart").First.Locator("rect.bar")).ToHaveCountAsync(4);
        await Expect(page.Page.Locator(".tile", new() { HasText = "Top-2 accuracy" })).ToContainTextAsync("97.0 %");
        await Expect(page.Page.Locator(".tile", new() { HasText = "Estimated accuracy" })).ToContainTextAsync("88.0 %");
        await Expect(page.Page.Locator("dl.facts").First).ToContainTextAsync("Pending responses12");
        await Expect(page.Page.Locator("dl.facts").First).ToContainTextAsync("Label delay p9910 min 0 s");
        await Expect(page.Page.Locator("section[aria-labelledby='panel-label-shift']")).ToContainTextAsync("0.310");
        await Expect(page.Page.Locator(".alerts-inline")).ToContainTextAsync("iris-accuracy-drop");
        await Expect(page.Page.Locator(".tile-trend path.spark-line")).ToHaveCountAsync(1);
        await page.ScreenshotAsync("ui-detail-full-contract");
        page.AssertClean();
    }

    [Test]
    public async Task A_protected_metrics_endpoint_asks_for_a_token_and_then_sends_it()
    {
        await using var server = await StartServerAsync();
        await Feed.SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        var sent = new List<string?>();
        await page.Page.RouteAsync(url => url.Contains("/v1/metrics", StringComparison.Ordinal), async route =>
        {
            var authorization = route.Request.Headers.TryGetValue("authorization", out var value) ? value : null;
            lock (sent)
            {
                sent.Add(authorization);
            }

            if (authorization == "Bearer s3cret")
            {
                await route.FulfillAsync(new RouteFulfillOptions { ContentType = "application/json", Body = await server.MetricsJsonTextAsync() });
                return;
            }

            await route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 401,
                ContentType = "application/problem+json",
                Body = """{"title": "Unauthorized", "status": 401, "detail": "Send a read token."}""",
            });
        });

        await page.GotoAsync("/ui" + Fast);
        await Expect(page.Page.Locator("#problem")).ToContainTextAsync("refused this page (HTTP 401). Send a read token.");
        await page.Page.Locator("#token-input").FillAsync("s3cret");
        await page.Page.Locator("#token-input").PressAsync("Enter");

        await Expect(page.Page.Locator("#models tbody tr.model-row")).ToHaveCountAsync(3);
        await Expect(page.Page.Locator("#problem")).ToBeHiddenAsync();
        lock (sent)
        {
            Assert.That(sent[0], Is.Null);
            Assert.That(sent[^1], Is.EqualTo("Bearer s3cret"));
        }

        // The browser logs the 401s themselves; nothing else may be wrong, and nothing may leave the origin.
        Assert.That(page.Errors.Where(e => !e.Contains("401", StringComparison.Ordinal)), Is.Empty);
        Assert.That(page.Requests.Select(u => new Uri(u).Authority).Distinct(), Is.EqualTo(new[] { server.BaseAddress.Authority }));
    }

    /// <summary>Adds DESIGN.md's fields to the iris model and an alert list to the document.</summary>
    private static void Extend(JsonObject document)
    {
        var iris = document["deployments"]!.AsArray().Single(d => d!["deployment"]!.GetValue<string>() == "iris")!.AsObject();
        iris["accuracyInterval"] = new JsonObject { ["low"] = 0.8, ["high"] = 0.95 };
        iris["join"] = JsonNode.Parse("""{"pendingResponses": 12, "parkedTruths": 3, "joined": 57, "expired": 1, "corrections": 2, "labelCoverage": 0.826}""");
        iris["labelDelaySeconds"] = JsonNode.Parse("""{"p50": 42.5, "p90": 310, "p99": 600}""");
        iris["estimated"] = JsonNode.Parse("""{"accuracy": 0.88, "basedOn": 12}""");
        iris["probabilistic"] = Probabilistic();

        var last100 = iris.DeepClone().AsObject();
        foreach (var name in new[] { "namespace", "deployment", "predictor", "model", "classes", "join", "labelDelaySeconds", "estimated" })
        {
            last100.Remove(name);
        }

        last100["count"] = 30;
        last100["accuracy"] = 0.7;
        last100["accuracyInterval"] = new JsonObject { ["low"] = 0.52, ["high"] = 0.83 };
        last100["confusionMatrix"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(WindowMatrix));
        last100["shift"] = JsonNode.Parse("""{"predictedPsi": 0.31, "truthPsi": 0.04, "estimatedTruthDistribution": [0.3, 0.3, 0.4]}""");
        var hour = iris.DeepClone().AsObject();
        hour.Remove("windows");
        hour["accuracy"] = 0.84;
        hour.Remove("accuracyInterval");
        iris["windows"] = new JsonObject { ["last_100"] = last100, ["1h"] = hour };

        document["alerts"] = JsonNode.Parse("""
            [{"rule": "iris-accuracy-drop", "state": "firing", "metric": "accuracy", "window": "1h", "comparison": "lt",
              "threshold": 0.9, "value": 0.84, "namespace": "seldon", "deployment": "iris", "since": "2026-11-24T10:00:00Z"},
             {"rule": "income-coverage", "state": "resolved", "metric": "labelCoverage", "deployment": "income"}]
            """);
    }

    private static JsonNode Probabilistic() => JsonNode.Parse("""
        {"count": 57, "logLoss": 0.284, "brier": 0.121, "ece": 0.043, "topK": {"k": 2, "accuracy": 0.97},
         "calibration": [
           {"low": 0.0, "high": 0.1, "count": 0, "confidence": null, "accuracy": null},
           {"low": 0.3, "high": 0.4, "count": 0, "confidence": 0, "accuracy": 0},
           {"low": 0.6, "high": 0.7, "count": 6, "confidence": 0.66, "accuracy": 0.5},
           {"low": 0.7, "high": 0.8, "count": 9, "confidence": 0.75, "accuracy": 0.67},
           {"low": 0.8, "high": 0.9, "count": 14, "confidence": 0.86, "accuracy": 0.86},
           {"low": 0.9, "high": 1.0, "count": 28, "confidence": 0.96, "accuracy": 0.96}]}
        """)!;
}
