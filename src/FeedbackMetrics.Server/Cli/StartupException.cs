namespace FeedbackMetrics.Server.Cli;

/// <summary>
/// A mistake in how the server was started (an option, the port, the state directory): the process writes
/// <see cref="Report"/> to stderr, one <c>error:</c> line and at most one <c>hint:</c> line, and exits with code 2.
/// Real defects are other exceptions and keep their stack trace.
/// </summary>
internal sealed class StartupException(string line, string? hint = null) : Exception(line)
{
    public const int ExitCode = 2;

    public string? Hint { get; } = hint;

    /// <summary>What stderr shows.</summary>
    public string Report => Hint is null ? $"error: {Message}" : $"error: {Message}\nhint: {Hint}";

    /// <summary>The line of DESIGN.md's "First day" contract: <c>&lt;what is wrong&gt; (&lt;option or resource&gt;): &lt;what to do&gt;</c>.</summary>
    public static string Line(string problem, string subject, string remedy) => $"{problem} ({subject}): {remedy}";

    public static StartupException Of(string problem, string subject, string remedy, string? hint = null) => new(Line(problem, subject, remedy), hint);
}
