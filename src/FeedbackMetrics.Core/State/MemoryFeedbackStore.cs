using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Core.State;

/// <summary>Keeps everything in memory: exactly-once within one process lifetime, nothing survives a restart.</summary>
public sealed class MemoryFeedbackStore(MetricsBook book, DedupeWindow dedupe) : IFeedbackStore
{
    private readonly Lock _gate = new();
    private long _seq;

    public string? Unavailable => null;

    public long? DedupeHorizon
    {
        get
        {
            lock (_gate)
            {
                return dedupe.OldestExpiry;
            }
        }
    }

    public Task<RestoreReport> InitializeAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new RestoreReport("memory", book.KeyCount, dedupe.Count));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<ApplyResult[]> ApplyAsync(IReadOnlyList<FeedbackEvent> events, CancellationToken cancellationToken)
    {
        var results = new ApplyResult[events.Count];
        lock (_gate)
        {
            var hashes = new UInt128[events.Count];
            var fresh = new List<FeedbackEvent>(events.Count);
            for (var i = 0; i < events.Count; i++)
            {
                hashes[i] = EventHash.Of(events[i].Id);
                if (!dedupe.Contains(hashes[i]))
                {
                    fresh.Add(events[i]);
                }
            }

            new CapacityPlan(book).Admit(fresh);
            var expiry = dedupe.NewExpiry();
            for (var i = 0; i < events.Count; i++)
            {
                results[i] = dedupe.TryAdd(hashes[i], ++_seq, expiry)
                    ? new ApplyResult(ApplyOutcome.Applied, book.Apply(events[i].Key, events[i].Feedback))
                    : ApplyResult.Duplicate;
            }
        }

        return ValueTask.FromResult(results);
    }

    public ValueTask<int> ResetAsync(IReadOnlyCollection<MetricKey> keys, CancellationToken cancellationToken) =>
        ValueTask.FromResult(keys.Count(book.Remove));
}
