namespace FeedbackMetrics.Core.Metrics;

/// <summary>Seldon's four confusion counters, named as its metrics server names them.</summary>
public enum SeldonCounter
{
    TruePositive,
    FalsePositive,
    FalseNegative,
    TrueNegative,
}

/// <summary>One counter increment, as Seldon's server lists it in its response (<c>key</c>, <c>type</c>, <c>value</c>, <c>tags</c>).</summary>
public sealed record SeldonCounterUpdate(SeldonCounter Counter, string? Class, long Value)
{
    /// <summary>The metric key without the <c>_total</c> suffix Prometheus adds: <c>seldon_metric_true_positive</c>, ….</summary>
    public string Key => SeldonCounters.KeyOf(Counter);
}
