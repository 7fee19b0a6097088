using System.Text.Json;
using System.Text.RegularExpressions;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>The Grafana dashboard: valid JSON, every query valid PromQL (parsed by promtool), and only about series that exist.</summary>
[Category("Deploy")]
public sealed partial class DashboardTests
{
    private static readonly string[] PromQlWords = ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "le", "inf", "nan"];

    private static List<string> Queries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Tools.InRepo("charts", "feedback-metrics", "files", "dashboard.json")));
        var queries = new List<string>();
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            Assert.That(panel.GetProperty("title").GetString(), Is.Not.Empty);
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                queries.Add(target.GetProperty("expr").GetString()!);
            }
        }

        foreach (var variable in dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                // label_values(selector, label) is Grafana's; the selector inside is PromQL.
                var match = LabelValues().Match(variable.GetProperty("query").GetString()!);
                Assert.That(match.Success, Is.True);
                queries.Add(match.Groups[1].Value);
            }
        }

        return [.. queries.Select(q => q.Replace("$__rate_interval", "5m").Replace("$namespace", ".*").Replace("$deployment", ".*"))];
    }

    [Test]
    public void Every_panel_query_is_valid_promql()
    {
        var rules = "groups:\n  - name: dashboard\n    rules:\n" + string.Concat(Queries().Select((q, i) => $"      - record: dashboard:query_{i}\n        expr: '{q.Replace("'", "''")}'\n"));
        PromtoolTests.CheckRules(rules, "dashboard");
    }

    [Test]
    public async Task Every_panel_query_refers_only_to_series_the_server_or_the_rules_produce()
    {
        await using var server = await RunningServer.StartAsync();
        await server.PostBinaryAsync(Events.SeedBody, "1");
        var exposition = await server.PrometheusAsync();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (family, type) in exposition.Types)
        {
            known.Add(family);
            if (type == "histogram")
            {
                known.UnionWith([family + "_bucket", family + "_sum", family + "_count"]);
            }
        }

        known.UnionWith(RecordName().Matches(File.ReadAllText(Tools.InRepo("deploy", "prometheus", "feedback-metrics.rules.yaml"))).Select(m => m.Groups[1].Value));

        foreach (var query in Queries())
        {
            foreach (var name in MetricNames(query))
            {
                Assert.That(known, Does.Contain(name), $"'{name}' in {query}");
            }
        }
    }

    /// <summary>Identifiers that are metric names: not inside label matchers, grouping clauses, ranges or strings, not functions, not keywords.</summary>
    private static IEnumerable<string> MetricNames(string query)
    {
        var stripped = Strings().Replace(query, "\"\"");
        stripped = Braces().Replace(stripped, " ");
        stripped = Grouping().Replace(stripped, " ");
        stripped = Ranges().Replace(stripped, " ");
        return Identifier().Matches(stripped)
            .Where(m => !PromQlWords.Contains(m.Value) && !FollowedByParen(stripped, m))
            .Select(m => m.Value);
    }

    private static bool FollowedByParen(string text, Match match)
    {
        var rest = text.AsSpan(match.Index + match.Length).TrimStart();
        return rest.Length > 0 && rest[0] == '(';
    }

    [GeneratedRegex("label_values\\((.*),\\s*\\w+\\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex("record: (\\S+)")]
    private static partial Regex RecordName();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex("\\{[^}]*\\}")]
    private static partial Regex Braces();

    [GeneratedRegex("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)")]
    private static partial Regex Grouping();

    [GeneratedRegex("\\[[^\\]]*\\]")]
    private static partial Regex Ranges();

    [GeneratedRegex("(?<![\\w.])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
