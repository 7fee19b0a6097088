namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// A shared log refused a commit: another replica appended first (the state catches up and the group is decided
/// again), or, with <see cref="Lost"/>, the log is no longer the one the state was loaded from (it is loaded again).
/// </summary>
public sealed class StateConflictException(bool lost, string message) : Exception(message)
{
    public bool Lost { get; } = lost;
}
