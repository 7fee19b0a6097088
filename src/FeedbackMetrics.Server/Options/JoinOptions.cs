namespace FeedbackMetrics.Server.Options;

/// <summary>Joining late truth to logged responses. Seldon's Elasticsearch lookup is accepted but superseded.</summary>
public sealed class JoinOptions
{
    public const string Section = "FeedbackMetrics:Join";

    public string? ElasticsearchUri { get; set; }
}
