using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Core.Alerts;

/// <summary>Which side of the threshold fires.</summary>
public enum AlertComparison
{
    Below,
    Above,
}

/// <summary>
/// One alert rule: a figure of a figure set (<see cref="Window"/>, <c>all</c> = cumulative), a comparison with a
/// threshold, the observations the figure must rest on before the rule judges at all (no flapping on a handful of
/// rows), and which models it applies to (<see cref="KeySelector"/>).
/// </summary>
public sealed record AlertRule(string Name, string Metric, string Window, AlertComparison Comparison, double Threshold, long MinObservations, KeySelector Selector)
{
    /// <summary>The figures a rule can watch, by the name rules use.</summary>
    public static readonly IReadOnlyDictionary<string, Func<KeySummary, double>> Metrics = new Dictionary<string, Func<KeySummary, double>>
    {
        ["accuracy"] = s => s.Accuracy,
        ["error_rate"] = s => s.Count == 0 ? 0 : 1 - s.Accuracy,
        ["macro_precision"] = s => s.Macro.Precision,
        ["macro_recall"] = s => s.Macro.Recall,
        ["macro_f1"] = s => s.Macro.F1,
        ["micro_precision"] = s => s.Micro.Precision,
        ["micro_recall"] = s => s.Micro.Recall,
        ["micro_f1"] = s => s.Micro.F1,
        ["weighted_precision"] = s => s.Weighted.Precision,
        ["weighted_recall"] = s => s.Weighted.Recall,
        ["weighted_f1"] = s => s.Weighted.F1,
    };

    public double ValueOf(KeySummary summary) => Metrics[Metric](summary);

    /// <summary>True when the value is on the firing side of the threshold.</summary>
    public bool Breached(double value) => Comparison == AlertComparison.Below ? value < Threshold : value > Threshold;

    public bool AppliesTo(MetricKey key) => Selector.Matches(key);
}

/// <summary>Which models a rule applies to: each part an exact value, a glob with <c>*</c>, or absent for any.</summary>
public sealed record KeySelector(string? Namespace, string? Deployment, string? Predictor, string? Model)
{
    public static readonly KeySelector Any = new(null, null, null, null);

    public bool Matches(MetricKey key) =>
        Glob(Namespace, key.Namespace) && Glob(Deployment, key.Deployment) && Glob(Predictor, key.Predictor) && Glob(Model, key.Model);

    private static bool Glob(string? pattern, string value)
    {
        if (pattern is null or "*")
        {
            return true;
        }

        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return pattern == value;
        }

        var prefix = pattern[..star];
        var suffix = pattern[(star + 1)..];
        return value.Length >= prefix.Length + suffix.Length && value.StartsWith(prefix, StringComparison.Ordinal) && value.EndsWith(suffix.Replace("*", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
