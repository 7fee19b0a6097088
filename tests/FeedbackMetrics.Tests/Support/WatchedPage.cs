using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace FeedbackMetrics.Tests.Support;

/// <summary>A browser page that records every request it makes and every error it logs, and saves screenshots as test artefacts.</summary>
public sealed class WatchedPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly Uri _origin;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<string> _errors = new();

    private WatchedPage(IBrowserContext context, IPage page, Uri origin)
    {
        _context = context;
        _origin = origin;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>Every URL the page asked for, in order.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <summary>Console errors (CSP violations among them), uncaught exceptions and failed requests.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    public static async Task<WatchedPage> CreateAsync(IBrowserContext context, Uri origin)
    {
        var page = await context.NewPageAsync();
        var watched = new WatchedPage(context, page, origin);
        context.Request += (_, request) => watched._requests.Enqueue(request.Url);
        context.RequestFailed += (_, request) =>
        {
            // A reload or navigation cancels a refresh in flight: that is the browser's doing, not the page's.
            if (request.Failure != "net::ERR_ABORTED")
            {
                watched._errors.Enqueue($"request failed: {request.Url} ({request.Failure})");
            }
        };
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                watched._errors.Enqueue($"console {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => watched._errors.Enqueue($"page error: {error}");
        return watched;
    }

    public Task GotoAsync(string path) => Page.GotoAsync(new Uri(_origin, path).ToString());

    /// <summary>No console error or warning, no uncaught exception, no request to anywhere but the server itself.</summary>
    public void AssertClean()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Errors, Is.Empty, "the page logged errors");
            Assert.That(Requests, Is.Not.Empty);
            var elsewhere = Requests.Where(u => !new Uri(u).GetLeftPart(UriPartial.Authority).Equals(_origin.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal));
            Assert.That(elsewhere, Is.Empty, "requests that left the server's origin");
        });
    }

    /// <summary>Saves a full-page screenshot as a test artefact; a picture the docs show also goes to docs/NAME.png with FM_UPDATE_SCREENSHOTS=1.</summary>
    public async Task<string> ScreenshotAsync(string name, bool forDocs = false)
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        TestContext.AddTestAttachment(path, name);
        if (forDocs && Environment.GetEnvironmentVariable("FM_UPDATE_SCREENSHOTS") == "1")
        {
            Directory.CreateDirectory(Tools.InRepo("docs"));
            File.Copy(path, Tools.InRepo("docs", $"{name}.png"), overwrite: true);
        }

        return path;
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
