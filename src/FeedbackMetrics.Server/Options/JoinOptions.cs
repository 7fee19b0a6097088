using System.ComponentModel.DataAnnotations;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Options;

/// <summary>
/// The late-truth join: which CloudEvent types are logged model responses, how long and how much the join keeps;
/// and Seldon's response lookup in Elasticsearch, whose option is accepted so Seldon manifests keep working, and not used.
/// </summary>
public sealed class JoinOptions
{
    public const string Section = "FeedbackMetrics:Join";

    /// <summary>The response types of the Seldon Core v1 executor and the KServe agent.</summary>
    public static readonly string[] DefaultResponseTypes = ["io.seldon.serving.inference.response", "org.kubeflow.serving.inference.response"];

    public string? ElasticsearchUri { get; set; }

    /// <summary>
    /// As configured; empty by default, because the configuration binder appends configured items to a non-empty
    /// default array. Read <see cref="EffectiveResponseTypes"/>.
    /// </summary>
    public string[] ResponseTypes { get; set; } = [];

    /// <summary>The response types: the configured ones, else <see cref="DefaultResponseTypes"/>.</summary>
    public string[] EffectiveResponseTypes => ResponseTypes.Length > 0 ? ResponseTypes : DefaultResponseTypes;

    /// <summary><c>--join_ttl</c>: how long an entry is kept after its last change.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan Ttl { get; set; } = JoinLimits.DefaultTtl;

    /// <summary><c>--join_max_entries</c>: most entries kept, all models together.</summary>
    [Range(1, 100_000_000)]
    public int MaxEntries { get; set; } = JoinLimits.DefaultMaxEntries;

    public JoinLimits Limits => new(Ttl, MaxEntries);
}
