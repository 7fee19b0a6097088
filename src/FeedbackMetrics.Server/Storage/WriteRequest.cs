using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Storage;

/// <summary>Work for the single writer; completes once its effect is committed (or refused).</summary>
internal abstract class WriteRequest
{
}

/// <summary>Count one event's rows under its id.</summary>
internal sealed class ApplyRequest(CloudEventId id, MetricKey key, DecodedFeedback feedback) : WriteRequest
{
    public CloudEventId Id { get; } = id;

    public MetricKey Key { get; } = key;

    public DecodedFeedback Feedback { get; } = feedback;

    public TaskCompletionSource<ApplyResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Forget some keys entirely.</summary>
internal sealed class ResetRequest(IReadOnlyCollection<MetricKey> keys) : WriteRequest
{
    public IReadOnlyCollection<MetricKey> Keys { get; } = keys;

    public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
