using System.Reflection;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Docs;

/// <summary>docs/metrics.md is what the family table generates, and the table holds every family once.</summary>
public sealed class MetricsReferenceTests
{
    [Test]
    public void The_committed_metrics_reference_is_what_the_family_table_generates()
    {
        var path = Tools.InRepo(MetricsReference.Path);
        var generated = MetricsReference.Render();
        if (Environment.GetEnvironmentVariable("FM_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, generated);
        }

        var committed = File.Exists(path) ? File.ReadAllText(path) : "";
        Assert.That(committed, Is.EqualTo(generated), $"{MetricsReference.Path} differs from the family table; regenerate it with:\n  {MetricsReference.RegenerateCommand}");
    }

    [Test]
    public void Every_family_of_the_table_is_listed_once_in_a_group()
    {
        var declared = typeof(MetricFamilies).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(MetricFamily))
            .Select(f => ((MetricFamily)f.GetValue(null)!).Name);
        var listed = MetricFamilies.All.Select(f => f.Name).ToList();
        Assert.That(listed, Is.Unique);
        Assert.That(listed, Is.EquivalentTo(declared));
    }
}
