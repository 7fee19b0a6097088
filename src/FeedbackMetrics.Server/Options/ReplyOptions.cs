using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>The metric CloudEvents: their type and source, and where they are posted.</summary>
public sealed class ReplyOptions
{
    public const string Section = "FeedbackMetrics:Reply";

    public string? Url { get; set; }

    [Required]
    public string EventType { get; set; } = "io.seldon.serving.feedback.metrics";

    [Required]
    public string EventSource { get; set; } = "io.seldon.serving.feedback";

    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    [Range(0, 20)]
    public int Retries { get; set; } = 4;

    public Uri? ParsedUrl => string.IsNullOrWhiteSpace(Url) ? null : new Uri(Url, UriKind.Absolute);
}
