using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace FeedbackMetrics.Core.Alerts;

/// <summary>
/// Reads alert rules from YAML:
/// <code>
/// rules:
///   - name: accuracy-drop
///     metric: accuracy          # accuracy, error_rate, macro_f1, weighted_recall, … (AlertRule.Metrics)
///     window: all               # all (cumulative) or one of --windows
///     below: 0.8                # or above: …
///     min_observations: 50
///     selector: {namespace: seldon, deployment: "income-*"}
///   - name: accuracy-drop-beyond-noise
///     metric: accuracy          # a figure with an interval (AlertRule.Intervals)
///     window: last_100          # one of --windows
///     outside_interval: below   # fires when the window's 95 % interval lies wholly below the cumulative figure (or above)
///   - name: region-accuracy-gap
///     segment_gap: region       # one of --segment_by: fires on the gap of a figure across its values, over all rows
///     metric: accuracy          # accuracy, recall, precision, positive_rate (AlertRule.SegmentGapMetrics)
///     above: 0.1                # fires when max - min is above this
///     apart: true               # (default) and only when the two values' 95 % intervals do not overlap
///     min_observations: 100     # each of the two values rests on at least this many rows
/// class_names:                # optional: names for CLASS_0, CLASS_1, … of one deployment (namespace * for any)
///   seldon/iris: [setosa, versicolor, virginica]
/// </code>
/// Every problem is reported with the rule it is in; a file with any problem yields no rules and no names (the caller
/// keeps the last good ones).
/// </summary>
public static class AlertRuleFile
{
    /// <summary>
    /// Reads <paramref name="yaml"/> against the configured window names and segment names (<c>--segment_by</c>; a
    /// segment gap rule must name one of them).
    /// </summary>
    public static AlertRuleFileContent Parse(string yaml, IReadOnlyCollection<string> windows, IReadOnlyCollection<string>? segments = null)
    {
        var (rules, classNames, errors) = ParseAll(yaml, windows, segments ?? []);
        return errors.Count > 0 ? new([], new Dictionary<string, IReadOnlyList<string>>(), errors) : new(rules, classNames, errors);
    }

    private static (IReadOnlyList<AlertRule> Rules, IReadOnlyDictionary<string, IReadOnlyList<string>> ClassNames, IReadOnlyList<string> Errors) ParseAll(string yaml, IReadOnlyCollection<string> windows, IReadOnlyCollection<string> segments)
    {
        var none = new Dictionary<string, IReadOnlyList<string>>();
        var errors = new List<string>();
        var rules = new List<AlertRule>();
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
            {
                return ([], none, ["the file must be a YAML mapping with a 'rules' list"]);
            }

            root = mapping;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            return ([], none, [$"not valid YAML: {e.Message}"]);
        }

        var classNames = ClassNames(root, errors);
        foreach (var unknown in root.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "?").Except(["rules", "class_names"]))
        {
            errors.Add($"unknown top-level field '{unknown}' (the file has 'rules' and, optionally, 'class_names')");
        }

        if (!root.Children.TryGetValue(new YamlScalarNode("rules"), out var list))
        {
            if (!root.Children.ContainsKey(new YamlScalarNode("class_names")))
            {
                errors.Add("the file has no 'rules' list");
            }

            return ([], classNames, errors);
        }

        if (list is not YamlSequenceNode sequence)
        {
            return ([], none, ["'rules' must be a list"]);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in sequence)
        {
            index++;
            var where = $"rule {index}";
            if (item is not YamlMappingNode rule)
            {
                errors.Add($"{where}: must be a mapping");
                continue;
            }

            if (rule.Children.Keys.Any(k => k is not YamlScalarNode))
            {
                errors.Add($"{where}: every field name must be a plain word");
                continue;
            }

            if (rule.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Distinct().Count() != rule.Children.Count)
            {
                errors.Add($"{where}: a field is given twice");
                continue;
            }

            var fields = rule.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value ?? "", c => c.Value);
            var name = Scalar(fields, "name");
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add($"{where}: needs a name");
                continue;
            }

            where = $"rule '{name}'";
            if (!names.Add(name))
            {
                errors.Add($"{where}: the name is used twice");
            }

            if (fields.ContainsKey("segment_gap"))
            {
                if (SegmentGapRules.Parse(name, fields, where, segments, errors) is { } gapRule)
                {
                    rules.Add(gapRule);
                }

                continue;
            }

            var metric = Scalar(fields, "metric") ?? "";
            if (!AlertRule.Metrics.ContainsKey(metric))
            {
                errors.Add($"{where}: metric '{metric}' is not one of {string.Join(", ", AlertRule.Metrics.Keys)}");
            }

            var window = Scalar(fields, "window") ?? "all";
            if (window != "all" && !windows.Contains(window))
            {
                errors.Add($"{where}: window '{window}' is not 'all' nor one of the configured windows ({string.Join(", ", windows)})");
            }

            var below = Number(fields, "below", where, errors);
            var above = Number(fields, "above", where, errors);
            var outside = Scalar(fields, "outside_interval");
            if ((below is null ? 0 : 1) + (above is null ? 0 : 1) + (outside is null ? 0 : 1) != 1)
            {
                errors.Add($"{where}: give exactly one of 'below', 'above' or 'outside_interval'");
                continue;
            }

            var comparison = below is not null ? AlertComparison.Below : AlertComparison.Above;
            if (outside is not null)
            {
                comparison = outside switch
                {
                    "below" => AlertComparison.IntervalBelowCumulative,
                    _ => AlertComparison.IntervalAboveCumulative,
                };
                if (outside is not ("below" or "above"))
                {
                    errors.Add($"{where}: outside_interval is 'below' or 'above'; got '{outside}'");
                }

                if (!AlertRule.Intervals.ContainsKey(metric))
                {
                    errors.Add($"{where}: outside_interval needs a metric with an interval ({string.Join(", ", AlertRule.Intervals.Keys)}), not '{metric}'");
                }

                if (window == "all")
                {
                    errors.Add($"{where}: outside_interval compares a window with all rows; name one of the configured windows");
                }
            }

            var min = MinObservations(fields, where, errors);
            var selector = Selector(fields, where, errors);
            foreach (var unknown in fields.Keys.Except(["name", "metric", "window", "below", "above", "outside_interval", "min_observations", "selector"]))
            {
                errors.Add($"{where}: unknown field '{unknown}'");
            }

            rules.Add(new AlertRule(name, metric, window, comparison, below ?? above ?? 0, min, selector));
        }

        return (rules, classNames, errors);
    }

    /// <summary>The optional <c>class_names</c> mapping: <c>namespace/deployment</c> (namespace <c>*</c> for any) to a list of names.</summary>
    private static Dictionary<string, IReadOnlyList<string>> ClassNames(YamlMappingNode root, List<string> errors)
    {
        var names = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (!root.Children.TryGetValue(new YamlScalarNode("class_names"), out var node))
        {
            return names;
        }

        if (node is not YamlMappingNode mapping)
        {
            errors.Add("class_names must map namespace/deployment to a list of names, e.g. seldon/iris: [setosa, versicolor, virginica]");
            return names;
        }

        foreach (var (key, value) in mapping.Children)
        {
            var deployment = (key as YamlScalarNode)?.Value ?? "";
            var parts = deployment.Split('/');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0 || parts[1] == "*")
            {
                errors.Add($"class_names: '{deployment}' is not namespace/deployment (namespace * for any)");
                continue;
            }

            if (value is not YamlSequenceNode list || list.Children.Any(c => c is not YamlScalarNode { Value.Length: > 0 }))
            {
                errors.Add($"class_names: {deployment} must be a list of non-empty names");
                continue;
            }

            var shown = list.Children.Select(c => ((YamlScalarNode)c).Value!).ToArray();
            if (shown.Distinct(StringComparer.Ordinal).Count() != shown.Length)
            {
                errors.Add($"class_names: {deployment} names a class twice");
                continue;
            }

            if (!names.TryAdd(deployment, shown))
            {
                errors.Add($"class_names: {deployment} is given twice");
            }
        }

        return names;
    }

    internal static long MinObservations(Dictionary<string, YamlNode> fields, string where, List<string> errors)
    {
        var min = Number(fields, "min_observations", where, errors) ?? 1;
        if (min < 1 || min != Math.Floor(min))
        {
            errors.Add($"{where}: min_observations must be a whole number of at least 1");
        }

        return (long)min;
    }

    internal static KeySelector Selector(Dictionary<string, YamlNode> fields, string where, List<string> errors)
    {
        if (!fields.TryGetValue("selector", out var node))
        {
            return KeySelector.Any;
        }

        if (node is not YamlMappingNode s || s.Children.Keys.Any(k => k is not YamlScalarNode))
        {
            errors.Add($"{where}: selector must be a mapping of namespace, deployment, predictor, model");
            return KeySelector.Any;
        }

        var parts = s.Children.GroupBy(c => ((YamlScalarNode)c.Key).Value ?? "").ToDictionary(g => g.Key, g => g.Last().Value);
        foreach (var unknown in parts.Keys.Except(["namespace", "deployment", "predictor", "model"]))
        {
            errors.Add($"{where}: selector has an unknown field '{unknown}'");
        }

        return new KeySelector(Scalar(parts, "namespace"), Scalar(parts, "deployment"), Scalar(parts, "predictor"), Scalar(parts, "model"));
    }

    internal static string? Scalar(Dictionary<string, YamlNode> fields, string name) =>
        fields.TryGetValue(name, out var node) && node is YamlScalarNode scalar ? scalar.Value : null;

    internal static double? Number(Dictionary<string, YamlNode> fields, string name, string where, List<string> errors)
    {
        if (Scalar(fields, name) is not { } text)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }

        errors.Add($"{where}: {name} must be a number; got '{text}'");
        return null;
    }
}

/// <summary>What a rules file gives: its rules, per-deployment class names, and every problem found (none when good).</summary>
public sealed record AlertRuleFileContent(IReadOnlyList<AlertRule> Rules, IReadOnlyDictionary<string, IReadOnlyList<string>> ClassNames, IReadOnlyList<string> Errors);
