using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Core.State;

/// <summary>Keeps everything in memory: exactly-once within one process lifetime, nothing survives a restart.</summary>
public sealed class MemoryFeedbackStore(MetricsBook book, DedupeWindow dedupe) : IFeedbackStore
{
    public string? Unavailable => null;

    public Task<RestoreReport> InitializeAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new RestoreReport("memory", book.KeyCount, dedupe.Count));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<ApplyResult> ApplyAsync(CloudEventId id, MetricKey key, DecodedFeedback feedback, CancellationToken cancellationToken)
    {
        if (dedupe.Contains(id))
        {
            return ValueTask.FromResult(new ApplyResult(ApplyOutcome.Duplicate, null));
        }

        book.CheckCapacity(key, feedback);
        if (!dedupe.TryAdd(id))
        {
            return ValueTask.FromResult(new ApplyResult(ApplyOutcome.Duplicate, null));
        }

        return ValueTask.FromResult(new ApplyResult(ApplyOutcome.Applied, book.Apply(key, feedback)));
    }

    public ValueTask<int> ResetAsync(IReadOnlyCollection<MetricKey> keys, CancellationToken cancellationToken) =>
        ValueTask.FromResult(keys.Count(book.Remove));
}
