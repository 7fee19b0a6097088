using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.State;

/// <summary>
/// Keeps everything in memory: exactly-once within one process lifetime, nothing survives a restart. Response and
/// truth-only events go to the join ledger, when one is given.
/// </summary>
public sealed class MemoryFeedbackStore(MetricsBook book, DedupeWindow dedupe, OutboxQueue outbox, JoinLedger? join = null) : IFeedbackStore
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
            var inRequest = new HashSet<UInt128>();
            for (var i = 0; i < events.Count; i++)
            {
                hashes[i] = EventHash.Of(events[i].Id);
                if (!dedupe.Contains(hashes[i]) && inRequest.Add(hashes[i]))
                {
                    fresh.Add(events[i]);
                }
            }

            var steps = Admit(fresh, events.Count);
            var expiry = dedupe.NewExpiry();
            for (var i = 0; i < events.Count; i++)
            {
                if (!dedupe.TryAdd(hashes[i], ++_seq, expiry))
                {
                    results[i] = ApplyResult.Duplicate;
                    continue;
                }

                var e = events[i];
                if (e.Join is not null)
                {
                    results[i] = ApplyJoin(steps[e]);
                    continue;
                }

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

    private Dictionary<FeedbackEvent, JoinStep> Admit(List<FeedbackEvent> fresh, int eventsInRequest)
    {
        var plan = new CapacityPlan(book);
        if (join is null)
        {
            if (fresh.Any(e => e.Join is not null))
            {
                throw new InvalidOperationException("A response or truth-only event reached a store that keeps no join.");
            }

            plan.Admit(fresh);
            return [];
        }

        var steps = new Dictionary<FeedbackEvent, JoinStep>(ReferenceEqualityComparer.Instance);
        foreach (var step in JoinPlanner.Admit(join, plan, fresh, eventsInRequest).Steps)
        {
            steps[step.Event] = step;
        }

        return steps;
    }

    private ApplyResult ApplyJoin(JoinStep step)
    {
        var ledger = join!;
        KeySnapshot snapshot;
        switch (step.Result.Action)
        {
            case JoinAction.Joined:
                var rows = new List<CountedRow>();
                snapshot = book.Apply(step.Admitted!.Key, step.Admitted.Feedback, rows);
                ledger.RecordCounted(step.Scope, step.Part.RequestId, rows);
                break;
            case JoinAction.Corrected:
                JoinPlanner.Relabel(ledger, book, step);
                book.TryGet(step.Admitted!.Key, out var aggregate);
                snapshot = aggregate.Snapshot();
                break;
            default:
                return new ApplyResult(ApplyOutcome.Applied, null, null) { Join = step.Result.Action };
        }

        var reply = step.Admitted.Reply(snapshot);
        if (outbox.TryReserve())
        {
            outbox.Publish(new OutboxEntry(_seq, reply));
        }

        return new ApplyResult(ApplyOutcome.Applied, snapshot, step.RepliesToSender ? reply : null) { Join = step.Result.Action };
    }

    public ValueTask<int> ResetAsync(IReadOnlyCollection<MetricKey> keys, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var key in keys)
            {
                join?.ForgetKey(key);
            }

            return ValueTask.FromResult(keys.Count(book.Remove));
        }
    }
}
