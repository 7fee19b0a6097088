using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.Alerts;

/// <summary>A rule firing for one model, or resolved, with the reading that decided it.</summary>
public sealed record AlertTransition(AlertRule Rule, MetricKey Key, bool Firing, AlertReading Reading, DateTimeOffset At, DateTimeOffset Since);

/// <summary>A rule currently firing for one model, with its latest reading.</summary>
public sealed record FiringAlert(AlertRule Rule, MetricKey Key, AlertReading Reading, DateTimeOffset Since);

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
    /// Takes over what another judge found firing (replicas: the lease holder's alerts), so judging from here on
    /// reports only what changes after them, each alert keeping its <c>Since</c>.
    /// </summary>
    public void Seed(IEnumerable<FiringAlert> firing)
    {
        _firing.Clear();
        foreach (var alert in firing)
        {
            _firing[(alert.Rule.Name, alert.Key)] = alert;
        }
    }

    /// <summary>
    /// Evaluates <paramref name="rules"/> against every model read (its figures, cumulative and per window, and its
    /// segments). Rules no longer present, and models gone, resolve.
    /// </summary>
    public List<AlertTransition> Evaluate(IReadOnlyList<AlertRule> rules, IEnumerable<KeyView> views, DateTimeOffset now) =>
        Evaluate(rules, views.Select(v => (v.Snapshot.Key, (Func<AlertRule, AlertReading?>)(rule => rule.Read(v)))), now);

    /// <summary>
    /// Evaluates <paramref name="rules"/> against every model's figures (cumulative and per window); segment gap rules
    /// have no segments to read here and judge nothing. Rules no longer present, and models gone, resolve.
    /// </summary>
    public List<AlertTransition> Evaluate(IReadOnlyList<AlertRule> rules, IReadOnlyDictionary<MetricKey, KeyFigures> figures, DateTimeOffset now) =>
        Evaluate(rules, figures.Select(f => (f.Key, (Func<AlertRule, AlertReading?>)(rule => rule.Read(f.Value)))), now);

    private List<AlertTransition> Evaluate(IReadOnlyList<AlertRule> rules, IEnumerable<(MetricKey Key, Func<AlertRule, AlertReading?> Read)> models, DateTimeOffset now)
    {
        var transitions = new List<AlertTransition>();
        var seen = new HashSet<(string, MetricKey)>();
        foreach (var (key, read) in models)
        {
            foreach (var rule in rules)
            {
                if (!rule.AppliesTo(key) || read(rule) is not { } reading)
                {
                    continue;
                }

                var id = (rule.Name, key);
                seen.Add(id);
                if (reading.Rows < rule.MinObservations)
                {
                    continue;
                }

                var firing = _firing.TryGetValue(id, out var current);
                if (reading.Breached && !firing)
                {
                    _firing[id] = new FiringAlert(rule, key, reading, now);
                    transitions.Add(new AlertTransition(rule, key, true, reading, now, now));
                }
                else if (!reading.Breached && firing)
                {
                    _firing.Remove(id);
                    transitions.Add(new AlertTransition(rule, key, false, reading, now, current!.Since));
                }
                else if (reading.Breached)
                {
                    _firing[id] = current! with { Rule = rule, Reading = reading };
                }
            }
        }

        // A rule removed from the file, or a model reset, resolves what it had firing.
        foreach (var (id, alert) in _firing.Where(f => !seen.Contains(f.Key)).ToList())
        {
            _firing.Remove(id);
            transitions.Add(new AlertTransition(alert.Rule, alert.Key, false, alert.Reading, now, alert.Since));
        }

        return transitions;
    }
}
