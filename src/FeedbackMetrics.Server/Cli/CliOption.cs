namespace FeedbackMetrics.Server.Cli;

/// <summary>
/// One <c>--snake_case</c> command-line option: the configuration key it sets, its one-line help, its default, and for
/// the reference (docs/configuration.md) what it accepts and anything the one line leaves out.
/// </summary>
internal sealed record CliOption(string Name, string ConfigKey, string Help, string? Default = null, bool IsList = false)
{
    /// <summary>The topic --help and the reference list it under; set by <see cref="OptionTable"/>.</summary>
    public OptionTopic Topic { get; init; } = OptionTopic.Server;

    /// <summary>What a value must be, when the option's type and range do not say it well (e.g. a port, a list of names).</summary>
    public string? Accepts { get; init; }

    /// <summary>More than the one help line: shown in the reference only.</summary>
    public string? Details { get; init; }

    /// <summary>The full configuration key, e.g. <c>FeedbackMetrics:Server:HttpPort</c>.</summary>
    public string Key => $"{SeldonCommandLine.Section}:{ConfigKey}";

    /// <summary>The environment variable that sets it, e.g. <c>FeedbackMetrics__Server__HttpPort</c>.</summary>
    public string EnvironmentVariable => Key.Replace(":", "__", StringComparison.Ordinal);
}
