using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.State;

/// <summary>Keeps everything in memory: exactly-once within one process lifetime, nothing survives a restart.</summary>
public sealed class MemoryFeedbackStore(MetricsBook book, DedupeWindow dedupe, OutboxQueue outbox) : IFeedbackStore
{
    private readonly Lock _gate = new();
    private long _seq;

    public string? Unavailable => null;

    public IOutbox Outbox => outbox;

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

    public Task StopAsync(CancellationToken cancellationToken)
    {
        outbox.Close();
        return Task.CompletedTask;
    }

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
                if (!dedupe.TryAdd(hashes[i], ++_seq, expiry))
                {
                    results[i] = ApplyResult.Duplicate;
                    continue;
                }

                var e = events[i];
                var snapshot = book.Apply(e.Key, e.Feedback);
                var reply = e.Reply(snapshot);
                if (outbox.TryReserve())
                {
                    outbox.Publish(new OutboxEntry(_seq, reply));
                }

                results[i] = new ApplyResult(ApplyOutcome.Applied, snapshot, reply);
            }
        }

        return ValueTask.FromResult(results);
    }

    public ValueTask<int> ResetAsync(IReadOnlyCollection<MetricKey> keys, CancellationToken cancellationToken) =>
        ValueTask.FromResult(keys.Count(book.Remove));
}
