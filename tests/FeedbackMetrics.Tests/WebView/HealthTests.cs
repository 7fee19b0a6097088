using System.Text.RegularExpressions;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>
/// Without alert rules the page judges each model by its own figures (its 95 % intervals against its windows, a floor
/// and its majority class), so a 50 % model no longer looks like a 100 % one; with rules, their alerts colour the page.
/// </summary>
public sealed class HealthTests : BrowserTests
{
    private static readonly ModelId Good = new("lab", "good", "default", "m");
    private static readonly ModelId Half = new("lab", "half", "default", "m");
    private static readonly ModelId Worse = new("lab", "worse", "default", "m");
    private static readonly ModelId Few = new("lab", "few", "default", "m");
    private static readonly ModelId Constant = new("lab", "constant", "default", "m");

    [Test]
    public async Task Without_alert_rules_a_model_is_coloured_and_labelled_by_its_own_figures()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        await SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);

        await page.GotoAsync("/ui" + Fast);

        await ExpectRowAsync(page, Good, "good", "ok", "reaches the 80 % floor");
        await ExpectRowAsync(page, Half, "bad", "below 80 %", $"accuracy 50.0 % (95 % interval {Shown.Wilson(40, 0.5)}) is below the 80 % floor");
        await ExpectRowAsync(page, Worse, "bad", "worse in last_100", "worse in last_100: 40.0 %");
        await ExpectRowAsync(page, Few, "warn", "below 80 %?", "too few rows to be sure");
        await ExpectRowAsync(page, Constant, "bad", "below baseline", "below the 95.0 % that always answering CLASS_0 would score");
        await Expect(page.Page.Locator("#overview-note")).ToContainTextAsync("No alert rules on this server, so each model is judged by its own figures");
        await page.ScreenshotAsync("ui-health-overview");

        await page.Page.Locator(Half.RowSelector).ClickAsync();
        await Expect(page.Page.Locator(".health-note.health-bad")).ToContainTextAsync("needs a look");
        await Expect(page.Page.Locator("[data-tile='accuracy']")).ToHaveClassAsync(new Regex(@"\bhealth-bad\b"));
        await page.ScreenshotAsync("ui-health-detail");
        page.AssertClean();
    }

    [Test]
    public async Task The_floor_comes_from_the_address_of_the_page()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        await SeedAsync(server);
        await using var page = await Chromium.OpenAsync(server.BaseAddress);

        await page.GotoAsync("/ui" + Fast + "&floor=0.3");

        await ExpectRowAsync(page, Half, "good", "ok", "reaches the 30 % floor");
        await Expect(page.Page.Locator("#overview-note")).ToContainTextAsync("30 % floor");
        page.AssertClean();
    }

    [Test]
    public async Task With_alert_rules_only_their_alerts_colour_the_page()
    {
        var rules = Path.Combine(Path.GetTempPath(), $"fm-ui-health-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - {name: never, metric: accuracy, below: 0.01, min_observations: 1000000}\n");
        try
        {
            await using var server = await RunningServer.StartAsync(["--state", "memory", "--alert_rules", rules]);
            await SeedAsync(server);
            await using var page = await Chromium.OpenAsync(server.BaseAddress);

            await page.GotoAsync("/ui" + Fast);

            await Expect(page.Page.Locator($"{Half.RowSelector} td.col-alerts")).ToHaveTextAsync("none");
            await Expect(page.Page.Locator("tr.model-row")).ToHaveCountAsync(5);
            await Expect(page.Page.Locator("tr[class*='health-'], .health")).ToHaveCountAsync(0);
            await page.Page.Locator(Half.RowSelector).ClickAsync();
            await Expect(page.Page.Locator("#detail-title")).ToContainTextAsync("half");
            await Expect(page.Page.Locator(".health-note")).ToHaveCountAsync(0);
            page.AssertClean();
        }
        finally
        {
            File.Delete(rules);
        }
    }

    private static async Task ExpectRowAsync(WatchedPage page, ModelId model, string level, string label, string reason)
    {
        var row = page.Page.Locator(model.RowSelector);
        await Expect(row).ToHaveClassAsync(new Regex($@"\bhealth-{level}\b"));
        await Expect(row.Locator("td.col-accuracy .health")).ToHaveTextAsync(label);
        Assert.That(await row.Locator("td.col-accuracy .health").GetAttributeAsync("title"), Does.Contain(reason), model.Deployment);
    }

    /// <summary>Five models, each in one or two events of one-hot rows (3 classes): what each verdict is made of.</summary>
    private static async Task SeedAsync(RunningServer server)
    {
        await PostAsync(server, Good, Rows((0, 0, 40)));
        await PostAsync(server, Half, Rows((0, 0, 10), (1, 1, 10), (0, 1, 10), (1, 0, 10)));
        // 300 right, then 100 of which 40 right: 85 % all time, 40 % in the last 100 rows.
        await PostAsync(server, Worse, Rows((2, 2, 300)));
        await PostAsync(server, Worse, Rows((2, 2, 40), (2, 1, 60)));
        await PostAsync(server, Few, Rows((0, 0, 2), (1, 0, 1)));
        // 85 % right, above the floor, yet 95 % of the truths are CLASS_0: a constant answer would score more.
        await PostAsync(server, Constant, Rows((0, 0, 85), (0, 1, 10), (1, 0, 5)));
    }

    private static (int Truth, int Predicted)[] Rows(params (int Truth, int Predicted, int Times)[] rows) =>
        [.. rows.SelectMany(r => Enumerable.Repeat((r.Truth, r.Predicted), r.Times))];

    private static async Task PostAsync(RunningServer server, ModelId model, (int Truth, int Predicted)[] rows)
    {
        using var response = await server.PostBinaryAsync(Events.OneHot(3, rows), Guid.NewGuid().ToString("N"), extensions: model.Extensions());
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
    }
}
