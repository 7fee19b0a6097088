using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace FeedbackMetrics.Core.Alerts;

/// <summary>
/// Reads one segment gap rule of the rules file (<see cref="AlertRuleFile"/>): a rule with <c>segment_gap</c> names a
/// <c>--segment_by</c> name, a figure of <see cref="AlertRule.SegmentGapMetrics"/>, <c>above</c>, optionally
/// <c>apart</c> (default true), <c>min_observations</c> and <c>selector</c>; segment gaps are over all rows, so
/// <c>window</c> may only be <c>all</c>.
/// </summary>
internal static class SegmentGapRules
{
    private static readonly string[] Fields = ["name", "segment_gap", "metric", "window", "above", "apart", "min_observations", "selector"];

    /// <summary>The rule, or null with its problems added to <paramref name="errors"/>.</summary>
    public static AlertRule? Parse(string name, Dictionary<string, YamlNode> fields, string where, IReadOnlyCollection<string> segments, List<string> errors)
    {
        var before = errors.Count;
        var segment = AlertRuleFile.Scalar(fields, "segment_gap") ?? "";
        if (!segments.Contains(segment))
        {
            errors.Add(segments.Count == 0
                ? $"{where}: segment_gap '{segment}' needs segments, and --segment_by is not set: start the server with --segment_by {segment}"
                : $"{where}: segment_gap '{segment}' is not one of --segment_by ({string.Join(", ", segments)})");
        }

        var metric = AlertRuleFile.Scalar(fields, "metric") ?? "";
        if (!AlertRule.SegmentGapMetrics.ContainsKey(metric))
        {
            errors.Add($"{where}: metric '{metric}' has no segment gap; a segment_gap rule watches one of {string.Join(", ", AlertRule.SegmentGapMetrics.Keys)}");
        }

        if (AlertRuleFile.Scalar(fields, "window") is { } window && window != "all")
        {
            errors.Add($"{where}: segment gaps are over all rows; leave out window (or say 'all'), not '{window}'");
        }

        foreach (var other in new[] { "below", "outside_interval" }.Where(fields.ContainsKey))
        {
            errors.Add($"{where}: a segment_gap rule fires when the gap is above a threshold; give 'above', not '{other}'");
        }

        var above = AlertRuleFile.Number(fields, "above", where, errors);
        if (above is null && !fields.ContainsKey("above"))
        {
            errors.Add($"{where}: a segment_gap rule needs 'above' (the gap, max - min, that fires it)");
        }
        else if (above is < 0 or >= 1)
        {
            errors.Add($"{where}: above is a gap between two proportions, at least 0 and below 1; got {above.Value.ToString(CultureInfo.InvariantCulture)}");
        }

        var apart = true;
        if (AlertRuleFile.Scalar(fields, "apart") is { } text && !bool.TryParse(text, out apart))
        {
            errors.Add($"{where}: apart is true or false; got '{text}'");
        }

        var min = AlertRuleFile.MinObservations(fields, where, errors);
        var selector = AlertRuleFile.Selector(fields, where, errors);
        foreach (var unknown in fields.Keys.Except(Fields).Except(["below", "outside_interval"]))
        {
            errors.Add($"{where}: unknown field '{unknown}'");
        }

        return errors.Count > before
            ? null
            : new AlertRule(name, metric, "all", AlertComparison.SegmentGapAbove, above!.Value, min, selector) { Segment = segment, RequireApart = apart };
    }
}
