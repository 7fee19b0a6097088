namespace FeedbackMetrics.Server.Options;

/// <summary>Seldon's response lookup in Elasticsearch: the option is accepted so Seldon manifests keep working, and not used.</summary>
public sealed class JoinOptions
{
    public const string Section = "FeedbackMetrics:Join";

    public string? ElasticsearchUri { get; set; }
}
