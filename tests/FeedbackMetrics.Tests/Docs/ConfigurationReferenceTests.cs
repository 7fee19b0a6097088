using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Docs;

/// <summary>docs/configuration.md is what the option table generates, so the reference cannot drift from the code.</summary>
public sealed class ConfigurationReferenceTests
{
    [Test]
    public void The_committed_configuration_reference_is_what_the_option_table_generates()
    {
        var path = Tools.InRepo(ConfigurationReference.Path);
        var generated = ConfigurationReference.Render();
        if (Environment.GetEnvironmentVariable("FM_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, generated);
        }

        var committed = File.Exists(path) ? File.ReadAllText(path) : "";
        Assert.That(committed, Is.EqualTo(generated), $"{ConfigurationReference.Path} differs from the option table; regenerate it with:\n  {ConfigurationReference.RegenerateCommand}");
    }

    [Test]
    public void The_reference_names_every_option_its_variable_and_its_default()
    {
        var reference = ConfigurationReference.Render();
        Assert.Multiple(() =>
        {
            foreach (var option in SeldonCommandLine.Options)
            {
                var row = reference.Split('\n').SingleOrDefault(l => l.StartsWith($"| `--{option.Name}`<br>", StringComparison.Ordinal));
                Assert.That(row, Is.Not.Null, $"--{option.Name}");
                Assert.That(row, Does.Contain($"`{option.EnvironmentVariable}`").And.Contain(string.IsNullOrEmpty(option.Default) ? "| none |" : $"| `{option.Default}` |"));
            }
        });
    }
}
