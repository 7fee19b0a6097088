using Prometheus;

namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>Creates prometheus-net collectors from the family table, so their names, help and labels are the table's.</summary>
public static class MetricFactoryExtensions
{
    public static Counter CreateCounter(this IMetricFactory factory, MetricFamily family)
    {
        if (family.Type != MetricType.Counter)
        {
            throw new ArgumentException($"{family.Name} is a {family.TypeName}, not a counter.", nameof(family));
        }

        return factory.CreateCounter(family.Name, family.Help, [.. family.Labels]);
    }
}
