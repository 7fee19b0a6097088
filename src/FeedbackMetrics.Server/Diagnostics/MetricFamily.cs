namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>
/// One metric family the server exposes: its full name, type, help text and label names (in the order samples carry
/// them; histograms add <c>le</c>). Writers take name, type and help from here, and docs/metrics.md is generated from
/// the same records, so the reference cannot drift from what a scrape shows.
/// </summary>
public sealed record MetricFamily(string Name, MetricType Type, IReadOnlyList<string> Labels, string Help)
{
    /// <summary>The type as the text format writes it: <c>counter</c>, <c>gauge</c> or <c>histogram</c>.</summary>
    public string TypeName { get; } = Type switch
    {
        MetricType.Counter => "counter",
        MetricType.Gauge => "gauge",
        _ => "histogram",
    };
}
