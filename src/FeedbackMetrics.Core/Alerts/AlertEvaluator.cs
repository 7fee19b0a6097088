using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Core.Alerts;

/// <summary>A rule firing for one model, or resolved.</summary>
public sealed record AlertTransition(AlertRule Rule, MetricKey Key, bool Firing, double Value, long Observations, DateTimeOffset At, DateTimeOffset Since);

/// <summary>A rule currently firing for one model.</summary>
public sealed record FiringAlert(AlertRule Rule, MetricKey Key, double Value, long Observations, DateTimeOffset Since);

/// <summary>
/// Judges every rule against every model's figures and reports transitions: a rule fires once when its figure
/// crosses the threshold and resolves once when it comes back. Below the rule's minimum observations it does not
/// judge at all, so a handful of rows neither fires nor resolves it. Not thread-safe: one evaluator loop owns it.
/// </summary>
public sealed class AlertEvaluator
{
    private readonly Dictionary<(string Rule, MetricKey Key), FiringAlert> _firing = [];

    public IReadOnlyCollection<FiringAlert> Firing => _firing.Values;

    /// <summary>
    /// Evaluates <paramref name="rules"/> against the figure sets; <paramref name="figures"/> gives a model's figure
    /// set for a window (null when that model has none). Rules no longer present resolve.
    /// </summary>
    public List<AlertTransition> Evaluate(IReadOnlyList<AlertRule> rules, IEnumerable<MetricKey> keys, Func<MetricKey, string, KeySummary?> figures, DateTimeOffset now)
    {
        var transitions = new List<AlertTransition>();
        var seen = new HashSet<(string, MetricKey)>();
        foreach (var key in keys)
        {
            foreach (var rule in rules)
            {
                if (!rule.AppliesTo(key) || figures(key, rule.Window) is not { } summary)
                {
                    continue;
                }

                var id = (rule.Name, key);
                seen.Add(id);
                if (summary.Count < rule.MinObservations)
                {
                    continue;
                }

                var value = rule.ValueOf(summary);
                var breached = rule.Breached(value);
                var firing = _firing.TryGetValue(id, out var current);
                if (breached && !firing)
                {
                    _firing[id] = new FiringAlert(rule, key, value, summary.Count, now);
                    transitions.Add(new AlertTransition(rule, key, true, value, summary.Count, now, now));
                }
                else if (!breached && firing)
                {
                    _firing.Remove(id);
                    transitions.Add(new AlertTransition(rule, key, false, value, summary.Count, now, current!.Since));
                }
                else if (breached)
                {
                    _firing[id] = current! with { Rule = rule, Value = value, Observations = summary.Count };
                }
            }
        }

        // A rule removed from the file, or a model reset, resolves what it had firing.
        foreach (var (id, alert) in _firing.Where(f => !seen.Contains(f.Key)).ToList())
        {
            _firing.Remove(id);
            transitions.Add(new AlertTransition(alert.Rule, alert.Key, false, alert.Value, alert.Observations, now, alert.Since));
        }

        return transitions;
    }
}
