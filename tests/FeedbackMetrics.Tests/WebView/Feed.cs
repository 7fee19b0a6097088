using System.Globalization;
using System.Net;
using System.Text.Json;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>Feedback for three models as their servers send it: iris (string labels), a one-hot classifier and a binary model.</summary>
internal static class Feed
{
    public static readonly string[] ServerArgs = ["--state", "memory", "--deployment_decoders", "*/iris=MultiClassNumeric,*/income=BinaryMetrics,*/wide=MultiClassNumeric"];

    public static readonly ModelId Iris = new("seldon", "iris", "default", "iris-classifier");
    public static readonly ModelId OneHot = new("seldon", "multiclass-model", "default", "classifier");
    public static readonly ModelId Income = new("credit", "income", "canary", "income-xgb");
    public static readonly ModelId Wide = new("lab", "wide", "default", "many-classes");

    public static readonly string[] IrisClasses = ["setosa", "versicolor", "virginica"];

    /// <summary>Rows of the iris model: (true class, predicted class) and how often.</summary>
    public static readonly (int Truth, int Predicted, int Times)[] IrisRows =
    [
        (0, 0, 21), (1, 1, 17), (1, 2, 3), (2, 2, 14), (2, 1, 2),
    ];

    public static async Task SeedAsync(RunningServer server)
    {
        var iris = IrisRows.SelectMany(r => Enumerable.Repeat((r.Truth, r.Predicted), r.Times)).ToArray();
        foreach (var chunk in iris.Chunk(5))
        {
            await PostIrisAsync(server, chunk);
        }

        (int, int)[] oneHot = [(0, 0), (0, 0), (0, 1), (1, 1), (1, 1), (1, 1), (2, 2), (2, 0), (3, 3), (3, 3), (3, 2)];
        foreach (var row in oneHot)
        {
            await PostAsync(server, OneHot, Events.OneHot(4, row));
        }

        (int Truth, double Score)[] income = [(1, 0.9), (1, 0.7), (0, 0.2), (0, 0.6), (1, 0.3), (0, 0.1), (1, 0.8)];
        foreach (var (truth, score) in income)
        {
            var body = Events.Body($"[[{score.ToString(CultureInfo.InvariantCulture)}]]", $"[[{truth}]]");
            await PostAsync(server, Income, body);
        }
    }

    /// <summary>
    /// A few more events, each batch followed by a refresh of the page, so its trend lines and last-minute counts, which
    /// come from successive refreshes, have something to show. The test asks for each refresh with the page's own control
    /// (paused, then every second again: the page reads at once), so it waits for no timer of a page a busy machine
    /// may run late.
    /// </summary>
    public static async Task TrickleAsync(RunningServer server, Microsoft.Playwright.IPage page, int refreshes = 3)
    {
        var select = page.Locator("#refresh-select");
        for (var i = 0; i < refreshes; i++)
        {
            await PostIrisAsync(server, (0, 0), (1, 1), (2, 1));
            await PostAsync(server, OneHot, Events.OneHot(4, (1, 1), (2, 2)));
            await select.SelectOptionAsync("0");
            await page.RunAndWaitForResponseAsync(
                () => select.SelectOptionAsync("1"),
                r => r.Url.Contains("/v1/metrics", StringComparison.Ordinal));
        }
    }

    /// <summary>One event of the iris model carrying the given rows (indices into <see cref="IrisClasses"/>).</summary>
    public static Task PostIrisAsync(RunningServer server, params (int Truth, int Predicted)[] rows)
    {
        var truth = JsonSerializer.Serialize(rows.Select(r => IrisClasses[r.Truth]));
        var predicted = JsonSerializer.Serialize(rows.Select(r => IrisClasses[r.Predicted]));
        return PostAsync(server, Iris, Events.Body(predicted, truth));
    }

    public static async Task PostAsync(RunningServer server, ModelId model, string body)
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await server.PostBinaryAsync(body, id, extensions: model.Extensions());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }
}
