using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Server.Storage;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// A state log that passes everything to the log it wraps until <see cref="Crash"/> is set: then a stop neither writes
/// the last snapshot nor folds the write-ahead file back, so the next start finds what a killed process leaves — the
/// last snapshot written off the commit path and the journal after it.
/// </summary>
internal sealed class CrashOnStopLog(IStateLog inner) : IStateLog
{
    /// <summary>Set before stopping the store: the stop is then as abrupt as a crash.</summary>
    public bool Crash { get; set; }

    public string Name => inner.Name;

    public bool Durable => inner.Durable;

    public bool Shared => inner.Shared;

    public FeedbackMetrics.Core.State.IOutbox? Outbox => inner.Outbox;

    public TimeSpan FollowInterval => inner.FollowInterval;

    public bool IsFault(Exception e) => inner.IsFault(e);

    public void CatchUp(FeedbackEngine engine) => inner.CatchUp(engine);

    public IReadOnlyList<(long Seq, MetricReply Reply)> Load(FeedbackEngine engine) => inner.Load(engine);

    public void Commit(ChangeSet changes) => inner.Commit(changes);

    public void Maintain(EngineState state, Func<long, bool> pendingReply, IReadOnlyList<long> delivered, bool force = false)
    {
        if (!(Crash && force))
        {
            inner.Maintain(state, pendingReply, delivered, force);
        }
    }

    public void Probe() => inner.Probe();

    public void Close(bool graceful) => inner.Close(graceful && !Crash);
}
