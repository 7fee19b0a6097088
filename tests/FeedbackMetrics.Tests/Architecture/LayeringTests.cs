using System.Text.RegularExpressions;

namespace FeedbackMetrics.Tests.Architecture;

/// <summary>The folders of the server follow the path of an event without cycles, and the domain knows nothing of ASP.NET.</summary>
public sealed partial class LayeringTests
{
    private static string Repo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FeedbackMetrics.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("FeedbackMetrics.sln not found above " + AppContext.BaseDirectory);
    }

    private static Dictionary<string, HashSet<string>> Dependencies(string project, string prefix)
    {
        var root = Path.Combine(Repo(), "src", project);
        var graph = new Dictionary<string, HashSet<string>>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)))
        {
            var folder = Path.GetRelativePath(root, Path.GetDirectoryName(file)!).Split(Path.DirectorySeparatorChar)[0];
            var uses = graph.TryGetValue(folder, out var set) ? set : graph[folder] = [];
            foreach (Match m in Using().Matches(File.ReadAllText(file)))
            {
                if (m.Groups[1].Value.StartsWith(prefix, StringComparison.Ordinal))
                {
                    var target = m.Groups[1].Value[prefix.Length..].Split('.')[0];
                    if (target != folder)
                    {
                        uses.Add(target);
                    }
                }
            }
        }

        return graph;
    }

    [TestCase("FeedbackMetrics.Server", "FeedbackMetrics.Server.")]
    [TestCase("FeedbackMetrics.Core", "FeedbackMetrics.Core.")]
    public void No_folder_depends_on_itself_through_others(string project, string prefix)
    {
        var graph = Dependencies(project, prefix);
        foreach (var start in graph.Keys)
        {
            var seen = new HashSet<string>();
            var stack = new Stack<(string Node, string Path)>(graph[start].Select(n => (n, $"{start} -> {n}")));
            while (stack.TryPop(out var item))
            {
                Assert.That(item.Node, Is.Not.EqualTo(start), $"cycle: {item.Path}");
                if (seen.Add(item.Node))
                {
                    foreach (var next in graph.GetValueOrDefault(item.Node) ?? [])
                    {
                        stack.Push((next, $"{item.Path} -> {next}"));
                    }
                }
            }
        }
    }

    [Test]
    public void The_domain_references_no_ASP_NET()
    {
        var root = Path.Combine(Repo(), "src", "FeedbackMetrics.Core");
        var project = File.ReadAllText(Path.Combine(root, "FeedbackMetrics.Core.csproj"));
        Assert.That(project, Does.Not.Contain("Microsoft.AspNetCore").And.Not.Contain("Sdk.Web"));
        var offenders = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && File.ReadAllText(f).Contains("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.That(offenders, Is.Empty);
    }

    [GeneratedRegex(@"^using ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex Using();
}
