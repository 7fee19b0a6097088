using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>Whether the server can take events: state restored and storage writable.</summary>
public sealed class Readiness(IFeedbackStore store)
{
    private volatile bool _restored;

    public void MarkRestored() => _restored = true;

    /// <summary>Null when ready; otherwise why not.</summary>
    public string? NotReadyReason => !_restored ? "state is being restored" : store.Unavailable;
}
