using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>The names a Seldon model's responses give its classes (data.names) label the heatmap and the per-class table.</summary>
public sealed class ClassNameWebViewTests : BrowserTests
{
    [Test]
    public async Task The_heatmap_and_the_per_class_table_show_the_class_names_of_the_models_responses()
    {
        string[] iris = ["setosa", "versicolor", "virginica"];
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        using (var request = RealSenderFixture.Load("seldon-executor/feedback-class-names-python-wrapper").ToRequest())
        using (var response = await server.Client.SendAsync(request))
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
        }

        await using var page = await Chromium.OpenAsync(server.BaseAddress);
        await page.GotoAsync("/ui" + Fast);
        await page.Page.Locator(new ModelId("seldon", "iris", "default", "classifier").RowSelector).ClickAsync();

        await Expect(page.Page.Locator("table.matrix th.col-cls")).ToHaveTextAsync(iris);
        await Expect(page.Page.Locator("table.matrix th.row-cls")).ToHaveTextAsync(iris);
        foreach (var name in iris)
        {
            await Expect(page.Page.Locator($"table.per-class tbody tr[data-class='{name}']")).ToHaveCountAsync(1);
        }

        await Expect(page.Page.Locator("#detail")).Not.ToContainTextAsync("CLASS_");
        page.AssertClean();
    }
}
