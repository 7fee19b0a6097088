using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// A shared log refused a commit: another replica appended first (the state catches up and the group is decided
/// again), or, with <see cref="Lost"/>, the log is no longer the one the state was loaded from (it is loaded again).
/// A log kept per deployment may have made some deployments' parts of the change set durable before another was
/// refused: those are <see cref="Committed"/>, and the requests wholly within them are done.
/// </summary>
public sealed class StateConflictException(bool lost, string message) : Exception(message)
{
    public bool Lost { get; } = lost;

    /// <summary>The changes that are durable all the same (in the order decided), or null when none are.</summary>
    public ChangeSet? Committed { get; init; }

    /// <summary>The deployments whose parts of the change set are durable: a request within them is done.</summary>
    public IReadOnlySet<JoinScope> CommittedScopes { get; init; } = new HashSet<JoinScope>();
}
