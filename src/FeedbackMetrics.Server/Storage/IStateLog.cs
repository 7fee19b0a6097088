using FeedbackMetrics.Core.Engine;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// Where the engine's change sets are kept, and nothing else: the rules are the engine's. Called by one writer at a
/// time (<see cref="EngineStore"/>), between groups.
/// </summary>
public interface IStateLog
{
    /// <summary>How the start-up line names it (e.g. <c>sqlite /data/feedback-metrics.db</c>).</summary>
    string Name { get; }

    /// <summary>False for a log that keeps nothing across a restart: the store then decides and applies inline.</summary>
    bool Durable { get; }

    /// <summary>True for a log several replicas append to (Redis): a commit may be refused with a <see cref="StateConflictException"/>.</summary>
    bool Shared => false;

    /// <summary>Where a shared log keeps the metric events for the reply URL; null: the store's own queue.</summary>
    Core.State.IOutbox? Outbox => null;

    /// <summary>How often the store's housekeeping runs; a shared log follows the other replicas then.</summary>
    TimeSpan FollowInterval => TimeSpan.FromSeconds(1);

    /// <summary>Whether an exception is this log's storage failing (the store answers 503 and probes), not a defect.</summary>
    bool IsFault(Exception e);

    /// <summary>
    /// A shared log: applies to the engine's state what other replicas committed since; throws a lost
    /// <see cref="StateConflictException"/> when the state must be loaded again.
    /// </summary>
    void CatchUp(FeedbackEngine engine)
    {
    }

    /// <summary>
    /// Opens the log and fills <paramref name="engine"/>'s state from it (a snapshot, then the change sets after it);
    /// returns the metric events still to post to the reply URL, in order. Throws <see cref="StateFileException"/> for
    /// a file this server cannot read, a storage exception when it cannot be read now.
    /// </summary>
    IReadOnlyList<(long Seq, MetricReply Reply)> Load(FeedbackEngine engine);

    /// <summary>
    /// Makes a group's change set durable, whole or not at all; throws a storage exception when it could not, a
    /// <see cref="StateConflictException"/> when a shared log moved since the state was brought up to date.
    /// </summary>
    void Commit(ChangeSet changes);

    /// <summary>
    /// Housekeeping between groups, off the commit path: writes a snapshot of what changed when one is due and trims the
    /// journal behind it. <paramref name="pendingReply"/> says whether a posted metric event still waits for the reply URL;
    /// <paramref name="delivered"/> are the ones delivered since the last call. <paramref name="force"/> writes one now
    /// (a graceful stop).
    /// </summary>
    void Maintain(EngineState state, Func<long, bool> pendingReply, IReadOnlyList<long> delivered, bool force = false);

    /// <summary>Proves a write commits (recovering after a storage fault); throws when it does not.</summary>
    void Probe();

    /// <summary>Releases the log; with <paramref name="graceful"/> it also folds its write-ahead file back.</summary>
    void Close(bool graceful);
}
