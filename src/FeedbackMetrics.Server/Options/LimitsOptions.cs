using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>Bounds that keep memory and Prometheus cardinality safe from hostile or buggy senders.</summary>
public sealed class LimitsOptions
{
    public const string Section = "FeedbackMetrics:Limits";

    [Range(1, 10_000_000)]
    public int MaxKeys { get; set; } = 10_000;

    [Range(2, 100_000)]
    public int MaxClasses { get; set; } = 1_000;

    [Range(1024, 1L << 30)]
    public long MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Feedback requests processed at once; more wait in the queue below.</summary>
    [Range(1, 100_000)]
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>Feedback requests waiting for a slot; past it the server answers 503 with Retry-After at once.</summary>
    [Range(0, 1_000_000)]
    public int MaxQueuedRequests { get; set; } = 2048;

    /// <summary>Open connections Kestrel accepts; more are refused.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;
}
