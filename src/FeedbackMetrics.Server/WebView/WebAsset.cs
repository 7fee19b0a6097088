namespace FeedbackMetrics.Server.WebView;

/// <summary>One file of the web view as served: its bytes, content type and a strong ETag derived from its content.</summary>
public sealed record WebAsset(string Name, string ContentType, ReadOnlyMemory<byte> Content, string ETag);
