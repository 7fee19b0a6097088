using System.Text;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Hosting;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Configuration;

namespace FeedbackMetrics.Tests.Docs;

/// <summary>
/// Renders docs/configuration.md from the server's option table (<see cref="OptionTable"/>): the prose around the
/// tables lives here; every name, variable, default, accepted value and description comes from the code.
/// </summary>
public static class ConfigurationReference
{
    public const string Path = "docs/configuration.md";

    public const string RegenerateCommand = "FM_UPDATE_DOCS=1 dotnet test FeedbackMetrics.sln -c Release --filter \"FullyQualifiedName~ConfigurationReferenceTests\"";

    private const string AppSettingsExample = """{"FeedbackMetrics": {"Server": {"HttpPort": 9090}}}""";

    public static string Render()
    {
        var text = new StringBuilder();
        text.Append($$"""
            # Configuration reference

            > Generated from the option table in `src/FeedbackMetrics.Server/Cli/OptionTable.cs`; do not edit by hand.
            > After changing the table, regenerate with `{{RegenerateCommand}}`
            > (a test fails while this file differs from the table).

            Every option is a command-line argument, an environment variable or a key of `appsettings.json` (read from the
            working directory). Set in several places, the command line wins over the environment, and the environment over
            `appsettings.json`. `--help` lists the same options under the same topics, one line each.

            | Where | How |
            |---|---|
            | command line | `--http_port 9090` or `--http_port=9090`; a list is comma-separated: `--feedback_types a.b,c.d` |
            | environment | `FeedbackMetrics__Server__HttpPort=9090`; list items are numbered: `FeedbackMetrics__Decoding__FeedbackTypes__0=a.b` |
            | `appsettings.json` | `{{AppSettingsExample}}`; a list is an array |

            Durations are written `hh:mm:ss` or `d.hh:mm:ss` (`7.00:00:00` is seven days, `00:00:00.500` half a second).

            A mistake in the configuration stops the server at start with one line on stderr and exit code 2, for example:

            ```
            {{ExampleMistake()}}
            ```

            """);
        foreach (var topic in OptionTable.All.Select(o => o.Topic).Distinct())
        {
            text.Append("\n## ").Append(topic.Title).Append("\n\n").Append(topic.Summary).Append("\n\n")
                .Append("| Option and environment variable | Default | Accepts | What it does |\n|---|---|---|---|\n");
            foreach (var option in OptionTable.All.Where(o => o.Topic == topic))
            {
                var does = option.Details is null ? option.Help : $"{option.Help} {option.Details}";
                text.Append($"| `--{option.Name}`<br>`{option.EnvironmentVariable}` | {(string.IsNullOrEmpty(option.Default) ? "none" : $"`{option.Default}`")} | {Cell(OptionCatalog.Accepts(option))} | {Cell(does)} |\n");
            }
        }

        text.Append("\n## Seldon's environment variables\n\n").Append(HelpText.SeldonEnvironment.ReplaceLineEndings(" ")).Append('\n');
        text.Append("\n## Log levels\n\nThe server sets these levels for other libraries' log categories; any configuration source overrides them, e.g. `Logging__LogLevel__Polly=Warning`.\n\n| Category | Level |\n|---|---|\n");
        foreach (var (key, level) in ServerApp.LogLevelDefaults)
        {
            text.Append($"| `{key["Logging:LogLevel:".Length..]}` | {level} |\n");
        }

        return text.ToString();
    }

    /// <summary>What the server really prints for <c>--http_port abc</c>.</summary>
    private static string ExampleMistake()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(SeldonCommandLine.Find("http_port")!.Key, "abc")]).Build();
        return OptionCatalog.ConversionError(configuration)!.Report;
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
