using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace FeedbackMetrics.Server.WebView;

/// <summary>
/// The web view's files, read once from the resources embedded in the server binary (nothing on disk, nothing
/// downloaded): a page works the same air-gapped as online.
/// </summary>
public sealed class WebAssets
{
    /// <summary>Prefix of the logical names given to the embedded files in the project file.</summary>
    public const string ResourcePrefix = "webview/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, WebAsset> _assets;

    private WebAssets(FrozenDictionary<string, WebAsset> assets) => _assets = assets;

    /// <summary>The page itself.</summary>
    public WebAsset Index => _assets["index.html"];

    public IEnumerable<string> Names => _assets.Keys;

    /// <summary>Reads every embedded file; a file with an extension we cannot name a content type for stops the start.</summary>
    public static WebAssets Load(Assembly assembly)
    {
        var assets = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
            {
                throw new InvalidOperationException($"The embedded web view file {name} has no known content type.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 12)) + "\"";
            assets[name] = new WebAsset(name, contentType, bytes, etag);
        }

        if (!assets.ContainsKey("index.html"))
        {
            throw new InvalidOperationException("The web view's index.html is not embedded in the server binary.");
        }

        return new WebAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public bool TryGet(string name, out WebAsset asset) => _assets.TryGetValue(name, out asset!);
}
