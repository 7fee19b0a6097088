namespace FeedbackMetrics.Server.Cli;

/// <summary>One <c>--snake_case</c> command-line option and the configuration key it sets.</summary>
internal sealed record CliOption(string Name, string ConfigKey, string Help, string? Default = null, bool IsList = false);
