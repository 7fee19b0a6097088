using System.Globalization;
using System.Text.RegularExpressions;

namespace FeedbackMetrics.Tests.Support;

/// <summary>A small parser of the Prometheus text exposition format, for checking names, labels and values.</summary>
public sealed partial class PrometheusText
{
    private PrometheusText(List<Sample> samples, Dictionary<string, string> types, Dictionary<string, string> helps)
    {
        Samples = samples;
        Types = types;
        Helps = helps;
    }

    public List<Sample> Samples { get; }

    public Dictionary<string, string> Types { get; }

    public Dictionary<string, string> Helps { get; }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>();
        var helps = new Dictionary<string, string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', 4);
                helps[parts[2]] = parts.Length > 3 ? parts[3] : "";
                continue;
            }

            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                throw new FormatException($"Not a sample line: {line}");
            }

            var labels = new Dictionary<string, string>();
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups[1].Value] = label.Groups[2].Value.Replace("\\\"", "\"").Replace("\\\\", "\\");
            }

            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return new PrometheusText(samples, types, helps);
    }

    /// <summary>The value of the one sample with this name whose labels include all the given ones; null when there is none.</summary>
    public double? Value(string name, params (string Name, string Value)[] labels)
    {
        var matches = Find(name, labels).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0].Value,
            _ => throw new InvalidOperationException($"{matches.Count} samples of {name} match."),
        };
    }

    public IEnumerable<Sample> Find(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value));

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>.*)\\})? (?<value>\\S+)( \\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();

    public sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);
}
