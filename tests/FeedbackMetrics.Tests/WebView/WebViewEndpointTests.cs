using System.Net;
using System.Net.Http.Headers;
using FeedbackMetrics.Server.WebView;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>The web view over plain HTTP: embedded files, content types, caching, the CSP, and GET / for browsers only.</summary>
public sealed class WebViewEndpointTests
{
    [Test]
    public async Task The_page_and_its_files_come_from_the_binary_with_content_types_caching_and_a_strict_csp()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        var assets = WebAssets.Load(typeof(WebViewEndpoints).Assembly);
        Assert.That(assets.Names, Is.SupersetOf(new[] { "index.html", "app.js", "app.css", "favicon.svg" }));

        foreach (var (path, type) in new[] { ("/ui", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/app.css", "text/css"), ("/ui/favicon.svg", "image/svg+xml") })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo(type), path);
            Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Does.StartWith("default-src 'self'"), path);
            Assert.That(response.Headers.CacheControl!.NoCache, Is.True, path);
            Assert.That(response.Headers.ETag, Is.Not.Null, path);
            Assert.That(response.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"), path);

            using var again = new HttpRequestMessage(HttpMethod.Get, path);
            again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
            using var revalidated = await server.Client.SendAsync(again);
            Assert.That(revalidated.StatusCode, Is.EqualTo(HttpStatusCode.NotModified), path);
        }

        foreach (var name in assets.Names)
        {
            using var response = await server.Client.GetAsync("/ui/" + name);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), name);
        }

        using var missing = await server.Client.GetAsync("/ui/nope.js");
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public void The_page_links_nothing_outside_the_server()
    {
        var assets = WebAssets.Load(typeof(WebViewEndpoints).Assembly);
        foreach (var name in assets.Names)
        {
            assets.TryGet(name, out var asset);
            var text = System.Text.Encoding.UTF8.GetString(asset.Content.Span);
            var urls = System.Text.RegularExpressions.Regex.Matches(text, @"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s'""`)]*")
                .Select(m => m.Value).Where(u => u != "http://www.w3.org/2000/svg");
            Assert.That(urls, Is.Empty, $"{name} names another host");
        }
    }

    [Test]
    public async Task Get_root_serves_the_page_to_browsers_only_and_post_root_still_takes_events()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);

        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        using var page = await server.Client.SendAsync(browser);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("ui/app.js"));

        using var script = new HttpRequestMessage(HttpMethod.Get, "/");
        script.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var refused = await server.Client.SendAsync(script);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(refused.Content.Headers.Allow, Is.EqualTo(new[] { "POST" }));
        Assert.That(refused.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));

        using var posted = await server.PostBinaryAsync(Events.SeedBody, id: "1");
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using var trailing = await server.Client.GetAsync("/ui/");
        Assert.That(trailing.StatusCode, Is.EqualTo(HttpStatusCode.OK), "followed the redirect to /ui");
        Assert.That(trailing.RequestMessage!.RequestUri!.AbsolutePath, Is.EqualTo("/ui"));
    }
}
