using System.Text.Json;
using System.Text.RegularExpressions;
using FeedbackMetrics.Tests.Support;
using Microsoft.Playwright;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>A model's segments (--segment_by region) in a real browser: each value's figures as the JSON has them, the gaps, and other.</summary>
public sealed class SegmentTests : BrowserTests
{
    [Test]
    public async Task Each_region_shows_its_rows_accuracy_and_interval_as_the_json_and_folded_values_come_last_as_other()
    {
        await using var server = await RunningServer.StartAsync(SegmentFeed.ServerArgs("--max_segment_values", "2"));
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "eu", times: 12);
        await SegmentFeed.PostAsync(server, SegmentFeed.Half, "us", times: 3);
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "apac", times: 2); // past two values: folded into other
        await SegmentFeed.PostAsync(server, SegmentFeed.Half, "sa");

        var d = DetailTests.Deployment(await server.MetricsJsonTextAsync(), SegmentFeed.MultiClass);
        Assert.That(d.GetProperty("count").GetInt64(), Is.EqualTo(12 + 6 + 2 + 2));
        var region = d.GetProperty("segments").GetProperty("region");
        Assert.That(region.EnumerateObject().Select(v => v.Name), Is.EquivalentTo(new[] { "eu", "us", "other" }));

        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        await page.Page.Locator(SegmentFeed.MultiClass.RowSelector).ClickAsync();

        var segment = page.Page.Locator("section.segment[data-segment='region']");
        await Expect(segment.Locator("h3")).ToHaveTextAsync("By region");
        var rows = segment.Locator("table.segments tbody tr");
        await Expect(rows.Locator("th > span:first-child")).ToHaveTextAsync(["eu", "us", "other"]);
        foreach (var value in region.EnumerateObject())
        {
            var row = segment.Locator($"tr[data-value='{value.Name}']");
            var iv = value.Value.GetProperty("accuracyInterval");
            await Expect(row.Locator("td[data-figure='count']")).ToHaveTextAsync(Shown.Count(value.Value.GetProperty("count").GetInt64()));
            await Expect(row.Locator("td[data-figure='accuracy']")).ToHaveTextAsync(Shown.Percent(value.Value.GetProperty("accuracy").GetDouble()));
            await Expect(row.Locator("td[data-figure='accuracyInterval']")).ToHaveTextAsync(Shown.Interval(iv.GetProperty("low").GetDouble(), iv.GetProperty("high").GetDouble()));
            await Expect(row.Locator("svg.seg-bar")).ToHaveAttributeAsync("aria-label", new Regex($"^accuracy {Regex.Escape(Shown.Percent(value.Value.GetProperty("accuracy").GetDouble()))}, 95 % interval"));
        }

        // Three classes: macro recall and precision, no positive rate.
        await Expect(segment.Locator("thead th")).ToHaveTextAsync(["Value", "Rows", "Accuracy", "95 % interval", "Accuracy and interval", "Macro recall", "Macro precision"]);
        var other = segment.Locator("tr[data-value='other']");
        await Expect(other).ToHaveClassAsync(new Regex("seg-other"));
        await Expect(other.Locator("th")).ToContainTextAsync("folded values");
        await Expect(other.Locator("th .seg-note")).ToHaveAttributeAsync("title", new Regex("max_segment_values"));
        page.AssertClean();
    }

    [Test]
    public async Task An_accuracy_gap_whose_intervals_are_apart_stands_out_names_the_regions_and_marks_the_model_on_the_overview()
    {
        var rules = Path.Combine(Path.GetTempPath(), $"fm-ui-gap-rules-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - {name: region-gap, segment_gap: region, metric: accuracy, above: 0.2, min_observations: 10}\n");
        await using var server = await RunningServer.StartAsync(SegmentFeed.ServerArgs("--alert_rules", rules, "--alert_interval", "00:00:00.100"));
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "eu", times: 40);
        await SegmentFeed.PostAsync(server, SegmentFeed.Half, "us", times: 20);
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "apac", times: 3);
        await SegmentFeed.PostAsync(server, SegmentFeed.Half, "apac");

        var d = DetailTests.Deployment(await server.MetricsJsonTextAsync(), SegmentFeed.MultiClass);
        var gap = d.GetProperty("segmentGaps").GetProperty("region").GetProperty("accuracy");
        Assert.Multiple(() =>
        {
            Assert.That(gap.GetProperty("apart").GetBoolean(), Is.True, $"40 right rows against 20 of 40: the intervals are apart ({gap})");
            Assert.That(gap.GetProperty("minValue").GetString(), Is.EqualTo("us"));
        });

        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);

        // The overview marks the model, in words as well as colour.
        var mark = page.Page.Locator($"{SegmentFeed.MultiClass.RowSelector} .gap-mark");
        await Expect(mark).ToHaveTextAsync("▲ gap: region");
        await Expect(mark).ToHaveAttributeAsync("title", new Regex("Accuracy by region: .* their 95 % intervals do not overlap"));
        await Expect(page.Page.Locator(SegmentFeed.MultiClass.RowSelector)).ToHaveAttributeAsync("aria-label", new Regex("accuracy gap by region"));

        await page.Page.Locator(SegmentFeed.MultiClass.RowSelector).ClickAsync();
        var segment = page.Page.Locator("section.segment[data-segment='region']");
        var line = segment.Locator("li.seg-gap[data-figure='accuracy']");
        var expected = $"{Shown.Percent(gap.GetProperty("max").GetDouble())} ({gap.GetProperty("maxValue").GetString()}) − "
            + $"{Shown.Percent(gap.GetProperty("min").GetDouble())} ({gap.GetProperty("minValue").GetString()}) = "
            + Shown.Percent(gap.GetProperty("gap").GetDouble()).Replace(" %", " pp", StringComparison.Ordinal);
        await Expect(line).ToHaveTextAsync($"Accuracy gap: {expected} ▲ apart");
        await Expect(line).ToHaveAttributeAsync("data-apart", "true");
        await Expect(line).ToHaveCSSAsync("color", "rgb(164, 38, 29)");
        await Expect(line.Locator(".badge-apart")).ToHaveAttributeAsync("title", new Regex("The 95 % intervals of eu and us do not overlap"));

        // Every gap of the JSON has its line, and the value the model is wrong for is marked in the table.
        var gaps = d.GetProperty("segmentGaps").GetProperty("region").EnumerateObject().Select(g => g.Name).ToArray();
        await Expect(segment.Locator("li.seg-gap")).ToHaveCountAsync(gaps.Length);
        Assert.That(await segment.Locator("li.seg-gap").EvaluateAllAsync<string[]>("ls => ls.map(l => l.dataset.figure)"), Is.EquivalentTo(gaps));
        await Expect(segment.Locator("tr.seg-low")).ToHaveAttributeAsync("data-value", "us");
        await Expect(segment.Locator("tr.seg-low th")).ToContainTextAsync("lowest");
        await Expect(segment.Locator("tr.seg-low svg.seg-bar")).ToHaveClassAsync(new Regex("seg-bar-low"));

        // The gap rule fires, and its line names the values and their figures.
        await Expect(page.Page.Locator("li.alert-item")).ToContainTextAsync("region-gap accuracy gap by region 0.5 (eu 1 – us 0.5) > 0.2, apart");

        await SaveAsync(segment.Locator("xpath=ancestor::section[contains(@class, 'panel-segments')]"), "ui-segments");
        page.AssertClean();
    }

    [Test]
    public async Task A_gap_within_the_noise_says_the_intervals_overlap_and_leaves_the_overview_unmarked()
    {
        await using var server = await RunningServer.StartAsync(SegmentFeed.ServerArgs());
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "eu", times: 2);
        await SegmentFeed.PostAsync(server, SegmentFeed.Half, "us");

        var gap = DetailTests.Deployment(await server.MetricsJsonTextAsync(), SegmentFeed.MultiClass).GetProperty("segmentGaps").GetProperty("region").GetProperty("accuracy");
        Assert.That(gap.GetProperty("apart").GetBoolean(), Is.False);

        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        await Expect(page.Page.Locator(SegmentFeed.MultiClass.RowSelector)).ToBeVisibleAsync();
        await Expect(page.Page.Locator($"{SegmentFeed.MultiClass.RowSelector} .gap-mark")).ToHaveCountAsync(0);

        await page.Page.Locator(SegmentFeed.MultiClass.RowSelector).ClickAsync();
        var line = page.Page.Locator("section.segment[data-segment='region'] li.seg-gap[data-figure='accuracy']");
        await Expect(line).ToHaveAttributeAsync("data-apart", "false");
        await Expect(line).ToContainTextAsync("intervals overlap");
        await Expect(line.Locator(".badge-apart")).ToHaveCountAsync(0);
        await Expect(page.Page.Locator("section.segment tr.seg-low")).ToHaveCountAsync(0);
        page.AssertClean();
    }

    [Test]
    public async Task A_two_class_model_shows_recall_precision_and_positive_rate_of_the_second_class_per_region()
    {
        await using var server = await RunningServer.StartAsync(SegmentFeed.ServerArgs());

        // Seldon's sklearn server answering predict_proba of a binary classifier; the executor's headers of the notebook event.
        static string Body(string scores, string truth) =>
            """{"response": {"data": {"names": ["t:0", "t:1"], "ndarray": [["""
            + scores + """]]}}, "truth": {"data": {"ndarray": [[""" + truth + "]]}}}";
        const string Binary = "binary-model";
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "eu", times: 12, body: Body("0.2, 0.8", "0, 1"), deployment: Binary);
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "eu", times: 3, body: Body("0.9, 0.1", "1, 0"), deployment: Binary);
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "us", times: 5, body: Body("0.2, 0.8", "0, 1"), deployment: Binary);
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "us", times: 5, body: Body("0.3, 0.7", "1, 0"), deployment: Binary);
        await SegmentFeed.PostAsync(server, SegmentFeed.Right, "us", times: 2, body: Body("0.6, 0.4", "0, 1"), deployment: Binary);

        var model = SegmentFeed.MultiClass with { Deployment = Binary };
        var d = DetailTests.Deployment(await server.MetricsJsonTextAsync(), model);
        Assert.That(d.GetProperty("classes").GetArrayLength(), Is.EqualTo(2));

        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        await page.Page.Locator(model.RowSelector).ClickAsync();

        var segment = page.Page.Locator("section.segment[data-segment='region']");
        await Expect(segment.Locator("thead th")).ToHaveTextAsync(["Value", "Rows", "Accuracy", "95 % interval", "Accuracy and interval", "Recall", "Precision", "Positive rate"]);
        foreach (var value in d.GetProperty("segments").GetProperty("region").EnumerateObject())
        {
            var row = segment.Locator($"tr[data-value='{value.Name}']");
            var second = value.Value.GetProperty("perClass")[1];
            var matrix = value.Value.GetProperty("confusionMatrix");
            var predictedPositive = matrix[0][1].GetInt64() + matrix[1][1].GetInt64();
            await Expect(row.Locator("td[data-figure='recall']")).ToHaveTextAsync(Shown.Ratio(second.GetProperty("recall").GetDouble()));
            await Expect(row.Locator("td[data-figure='precision']")).ToHaveTextAsync(Shown.Ratio(second.GetProperty("precision").GetDouble()));
            await Expect(row.Locator("td[data-figure='positiveRate']")).ToHaveTextAsync(Shown.Percent((double)predictedPositive / value.Value.GetProperty("count").GetInt64()));
        }

        var gaps = d.GetProperty("segmentGaps").GetProperty("region");
        foreach (var figure in new[] { "recall", "precision", "positiveRate" })
        {
            var g = gaps.GetProperty(figure);
            var line = segment.Locator($"li.seg-gap[data-figure='{figure}']");
            await Expect(line).ToContainTextAsync($"({g.GetProperty("maxValue").GetString()})");
            await Expect(line).ToContainTextAsync($"({g.GetProperty("minValue").GetString()})");
            await Expect(line).ToHaveAttributeAsync("data-apart", g.GetProperty("apart").GetBoolean() ? "true" : "false");
        }

        await Expect(segment.Locator("li.seg-gap[data-figure='recall']")).ToContainTextAsync("Recall (second class) gap:");
        page.AssertClean();
    }

    /// <summary>A picture of one part of the page, saved as a test artefact (never into docs/).</summary>
    private static async Task SaveAsync(ILocator locator, string name)
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{name}.png");
        await locator.ScreenshotAsync(new LocatorScreenshotOptions { Path = path, Animations = ScreenshotAnimations.Disabled });
        TestContext.AddTestAttachment(path, name);
    }
}
