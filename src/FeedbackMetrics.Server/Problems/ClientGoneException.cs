namespace FeedbackMetrics.Server.Problems;

/// <summary>The client closed the connection before its request was read whole; nothing to answer, counted as aborted.</summary>
public sealed class ClientGoneException(Exception inner) : Exception("The client went away before its request was read.", inner);
