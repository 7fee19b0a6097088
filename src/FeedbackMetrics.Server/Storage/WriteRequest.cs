using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Storage;

/// <summary>Work for the single writer; completes once its effect is committed (or refused).</summary>
internal abstract class WriteRequest
{
}

/// <summary>Count the events of one request, all or nothing.</summary>
internal sealed class ApplyRequest(IReadOnlyList<FeedbackEvent> events) : WriteRequest
{
    public IReadOnlyList<FeedbackEvent> Events { get; } = events;

    public TaskCompletionSource<ApplyResult[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Forget some keys entirely.</summary>
internal sealed class ResetRequest(IReadOnlyCollection<MetricKey> keys) : WriteRequest
{
    public IReadOnlyCollection<MetricKey> Keys { get; } = keys;

    public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Wakes an idle writer so it forgets the metric events the sender has delivered since.</summary>
internal sealed class WakeUp : WriteRequest
{
    public static readonly WakeUp Instance = new();
}
