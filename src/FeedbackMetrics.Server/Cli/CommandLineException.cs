namespace FeedbackMetrics.Server.Cli;

/// <summary>The command line cannot be understood; the message says why and the process exits with code 2.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
