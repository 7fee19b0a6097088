using System.Text.RegularExpressions;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Docs;

/// <summary>
/// README, CHANGELOG and docs/ name only what exists: files and headings they link to, server options, metric
/// families; and README stays a front page.
/// </summary>
public sealed partial class DocsTruthTests
{
    /// <summary>Pages other work writes; README and docs may link them before they land.</summary>
    private static readonly string[] WrittenElsewhere = ["docs/architecture.md"];

    private static IEnumerable<string> Pages() =>
        ["README.md", "CHANGELOG.md", .. Directory.GetFiles(Tools.InRepo("docs"), "*.md").Order(StringComparer.Ordinal).Select(f => Path.GetRelativePath(Tools.RepoRoot, f).Replace('\\', '/'))];

    [Test]
    public void README_is_a_front_page_of_at_most_300_lines()
    {
        Assert.That(File.ReadAllLines(Tools.InRepo("README.md")), Has.Length.LessThanOrEqualTo(300));
    }

    [Test]
    public void Every_relative_link_of_the_docs_reaches_a_file_and_heading_that_exist()
    {
        var broken = new List<string>();
        foreach (var page in Pages())
        {
            var text = File.ReadAllText(Tools.InRepo(page));
            foreach (Match link in Link().Matches(text))
            {
                var target = link.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                var (file, anchor) = target.Split('#', 2) is [var f, var a] ? (f, a) : (target, null);
                var path = file.Length == 0 ? page : Normalize(Path.Combine(Path.GetDirectoryName(page) ?? "", file));
                if (!File.Exists(Tools.InRepo(path)) && !Directory.Exists(Tools.InRepo(path)))
                {
                    if (!WrittenElsewhere.Contains(path))
                    {
                        broken.Add($"{page}: {target} (no file {path})");
                    }

                    continue;
                }

                if (anchor is not null && path.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(Tools.InRepo(path))).Contains(anchor))
                {
                    broken.Add($"{page}: {target} (no heading #{anchor} in {path})");
                }
            }
        }

        Assert.That(broken, Is.Empty);
    }

    [Test]
    public void Every_option_the_docs_name_is_an_option_of_the_server()
    {
        var options = SeldonCommandLine.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = Pages()
            .SelectMany(page => SnakeOption().Matches(File.ReadAllText(Tools.InRepo(page))).Select(m => (page, name: m.Groups[1].Value)))
            .Where(x => !options.Contains(x.name))
            .Select(x => $"{x.page}: --{x.name}")
            .Distinct();
        Assert.That(unknown, Is.Empty);
    }

    [Test]
    public void Every_metric_family_the_docs_name_is_in_the_family_table()
    {
        var families = MetricFamilies.All.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = Pages()
            .SelectMany(page => SeriesName().Matches(File.ReadAllText(Tools.InRepo(page))).Select(m => (page, name: m.Value)))
            .Where(x => !x.name.EndsWith('_') && !Known(x.name, families))
            .Select(x => $"{x.page}: {x.name}")
            .Distinct();
        Assert.That(unknown, Is.Empty);
    }

    /// <summary>A family, a histogram's series, or one of Seldon's counters by the key its metric event uses (no <c>_total</c>).</summary>
    private static bool Known(string name, HashSet<string> families) =>
        families.Contains(name)
        || families.Contains(name + "_total")
        || new[] { "_bucket", "_sum", "_count" }.Any(s => name.EndsWith(s, StringComparison.Ordinal) && families.Contains(name[..^s.Length]));

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var inCode = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
            }
            else if (!inCode && Heading().Match(line) is { Success: true } heading)
            {
                var text = heading.Groups[1].Value.Trim().ToLowerInvariant();
                anchors.Add(string.Concat(text.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')).Replace(' ', '-'));
            }
        }

        return anchors;
    }

    private static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part == "..")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            else if (part is not ("." or ""))
            {
                parts.Add(part);
            }
        }

        return string.Join('/', parts);
    }

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"(?<![\w-])--([a-z0-9]+(?:_[a-z0-9]+)+)\b")]
    private static partial Regex SnakeOption();

    [GeneratedRegex(@"\b(?:feedback_metrics|seldon_metric)_[a-z0-9_]+")]
    private static partial Regex SeriesName();
}
