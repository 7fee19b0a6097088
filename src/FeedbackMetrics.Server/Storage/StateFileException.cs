namespace FeedbackMetrics.Server.Storage;

/// <summary>The state file cannot be used by this server (written by a newer version, or not a state file); start-up stops with this message.</summary>
public sealed class StateFileException(string message, Exception? inner = null) : Exception(message, inner);
