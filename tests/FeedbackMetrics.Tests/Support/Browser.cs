using Microsoft.Playwright;

namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// Headless Debian Chromium driven by Playwright for .NET. Playwright's driver (Node) ships inside its NuGet package;
/// the browser is the system's, found through <see cref="Tools.Chromium"/>: nothing is downloaded.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<Browser> LaunchAsync()
    {
        var executable = Tools.Chromium;
        IPlaywright playwright;
        try
        {
            playwright = await Playwright.CreateAsync();
        }
        catch (Exception e) when (e is PlaywrightException or IOException or System.ComponentModel.Win32Exception)
        {
            Assert.Fail($"The Playwright driver did not start (it runs the Node shipped in the Microsoft.Playwright NuGet package, copied to .playwright/ beside the test binaries): {e.Message}");
            throw;
        }

        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = ChromiumArgs,
                Timeout = 60_000,
            });
            return new Browser(playwright, browser);
        }
        catch (PlaywrightException e)
        {
            playwright.Dispose();
            Assert.Fail($"Chromium at {executable} did not start under Playwright: {e.Message}");
            throw;
        }
    }

    /// <summary>A fresh page (own context: no shared storage) that records what it requests and logs.</summary>
    public async Task<WatchedPage> OpenAsync(Uri origin, int width = 1280, int height = 800)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            BaseURL = origin.ToString(),
            Locale = "en-GB",
            TimezoneId = "UTC",
        });

        // Deadlines, not a pace: a wait ends as soon as the page does what it should. A shared CI machine with another
        // process on one core can take far longer than a quiet one to render a page or to make its next refresh.
        context.SetDefaultTimeout(120_000);
        return await WatchedPage.CreateAsync(context, origin);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
