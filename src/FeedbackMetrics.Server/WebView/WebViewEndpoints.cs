using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace FeedbackMetrics.Server.WebView;

/// <summary>
/// <c>GET /ui</c> (and <c>GET /</c> when a browser asks for HTML): the web view, a page that reads the public JSON of
/// <c>GET /v1/metrics?format=json</c>. Its files are embedded in the binary and served under <c>/ui/</c>.
/// </summary>
public static class WebViewEndpoints
{
    /// <summary>Only the server's own origin: no inline script or style, no CDN, no other host, no framing.</summary>
    public const string ContentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly string[] GetOrHead = [HttpMethods.Get, HttpMethods.Head];

    public static void MapWebViewEndpoints(this IEndpointRouteBuilder app)
    {
        var assets = WebAssets.Load(typeof(WebViewEndpoints).Assembly);
        app.MapMethods("/ui", GetOrHead, (HttpContext context) => ServePageAsync(context, assets));
        app.MapMethods("/ui/{file}", GetOrHead, (HttpContext context, string file) =>
            assets.TryGet(file, out var asset) ? ServeAsync(context, asset) : NotFoundAsync(context));
        app.MapMethods("/", GetOrHead, (HttpContext context) =>
        {
            context.Response.Headers.Vary = HeaderNames.Accept; // the page for browsers, a 405 for anyone else
            return AcceptsHtml(context.Request) ? ServePageAsync(context, assets) : MethodNotAllowedAsync(context);
        });
    }

    private static Task ServePageAsync(HttpContext context, WebAssets assets)
    {
        // The page links its files relatively (ui/app.js), which resolves the same from "/" and "/ui" — and from
        // behind a path prefix — but not from "/ui/": send that one to "/ui".
        var path = context.Request.Path.Value ?? "/";
        if (path.Length > 1 && path.EndsWith('/'))
        {
            context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
            context.Response.Headers.Location = "../" + path.TrimEnd('/').Split('/')[^1];
            return Task.CompletedTask;
        }

        return ServeAsync(context, assets.Index);
    }

    private static async Task ServeAsync(HttpContext context, WebAsset asset)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";

        // Revalidated on every load (a 304 when unchanged), so a page never runs with the scripts of an older server.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (context.Request.GetTypedHeaders().IfNoneMatch.Any(e => e.Tag.Equals(asset.ETag, StringComparison.Ordinal) || e.Tag.Equals("*", StringComparison.Ordinal)))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.ContentType = asset.ContentType;
        context.Response.ContentLength = asset.Content.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(asset.Content, context.RequestAborted);
        }
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static Task MethodNotAllowedAsync(HttpContext context)
    {
        context.Response.Headers.Allow = "POST";
        return Results.Problem(
            statusCode: StatusCodes.Status405MethodNotAllowed,
            title: "Method not allowed",
            detail: "POST CloudEvents to /. The web view is GET /ui, the metrics GET /v1/metrics.").ExecuteAsync(context);
    }

    private static Task NotFoundAsync(HttpContext context) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such file in the web view.").ExecuteAsync(context);
}
