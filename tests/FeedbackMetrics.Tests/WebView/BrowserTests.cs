using FeedbackMetrics.Tests.Support;
using Microsoft.Playwright;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>One headless Chromium per test class; each test opens its own pages (own storage) against its own server.</summary>
[Category("Browser")]
public abstract class BrowserTests
{
    /// <summary>Seconds between the page's refreshes in these tests (?refresh=1), so updates show within a test's patience.</summary>
    protected const string Fast = "?refresh=1";

    protected Browser Chromium { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task LaunchBrowserAsync()
    {
        // A deadline, not a pace: each expectation polls until the page shows what it should, and a shared CI machine
        // with another process on one core may take far longer than a quiet one to render a page.
        Assertions.SetDefaultExpectTimeout(60_000);
        Chromium = await Browser.LaunchAsync();
    }

    [OneTimeTearDown]
    public async Task CloseBrowserAsync()
    {
        if (Chromium is not null)
        {
            await Chromium.DisposeAsync();
        }
    }

    protected static Task<RunningServer> StartServerAsync() => RunningServer.StartAsync(Feed.ServerArgs);

    protected static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
