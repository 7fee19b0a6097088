using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Server.Storage;

/// <summary>Work for the single writer; completes once its effect is committed (or refused).</summary>
internal abstract class WriteRequest;

/// <summary>Count the events of one request, all or nothing.</summary>
internal sealed class ApplyRequest(IReadOnlyList<IngestEvent> events) : WriteRequest
{
    public IReadOnlyList<IngestEvent> Events { get; } = events;

    public TaskCompletionSource<ApplyResult[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Forget some keys entirely.</summary>
internal sealed class ResetRequest(IReadOnlyCollection<MetricKey> keys) : WriteRequest
{
    public IReadOnlyCollection<MetricKey> Keys { get; } = keys;

    public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Wakes an idle writer for its housekeeping (expiry, metric events delivered, a snapshot due).</summary>
internal sealed class WakeUp : WriteRequest
{
    public static readonly WakeUp Instance = new();
}
