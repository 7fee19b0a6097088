using FeedbackMetrics.Core.Engine;

namespace FeedbackMetrics.Server.Storage;

/// <summary><c>--state memory</c>: keeps nothing; exactly once within one process lifetime, nothing survives a restart.</summary>
public sealed class MemoryStateLog : IStateLog
{
    public string Name => "memory";

    public bool Durable => false;

    public bool IsFault(Exception e) => false;

    public IReadOnlyList<(long Seq, MetricReply Reply)> Load(FeedbackEngine engine) => [];

    public void Commit(ChangeSet changes)
    {
    }

    public void Maintain(EngineState state, Func<long, bool> pendingReply, IReadOnlyList<long> delivered, bool force = false)
    {
    }

    public void Probe()
    {
    }

    public void Close(bool graceful)
    {
    }
}
