using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The join as the Redis store plans it (the other stores' join is the engine's, <see cref="Engine.JoinBook"/>): per
/// (namespace, deployment, request id) a pending response, a parked truth, or a joined request kept so a later truth
/// can correct it; each forgotten <see cref="JoinLimits.Ttl"/> after its last change or, oldest first, once more than
/// <see cref="JoinLimits.MaxEntries"/> are held, and counted when it is. A scratch ledger is restored from the entries
/// a request touches (<see cref="Restore"/>), answers its events and hands over what changed
/// (<see cref="TakeChanges"/>); a replica's own ledger holds no entries and shows the shared figures
/// (<see cref="Mirror"/>). Time comes from the injected <see cref="TimeProvider"/>. Thread-safe: every call takes the
/// ledger's one lock; a refused call changes nothing but the expiries that were due. The rules are in this folder's
/// README.
/// </summary>
public sealed partial class JoinLedger : IJoinFigures
{
    private readonly Lock _lock = new();
    private readonly JoinEntries _entries = new();
    private readonly Dictionary<JoinScope, JoinScopeStats> _stats = [];
    private readonly TimeProvider _time;
    private long _stamp;

    public JoinLedger(JoinLimits limits, TimeProvider time)
    {
        limits.Validate();
        Limits = limits;
        _time = time;
    }

    public JoinLimits Limits { get; }

    /// <summary>The clock the ledger stamps arrivals and changes with (a store deciding on a scratch ledger uses the same).</summary>
    public TimeProvider Clock => _time;

    /// <summary>
    /// Takes a logged response: joined when its truth is parked (refused, changing nothing, when their row counts
    /// differ), else kept pending. A second response for a request id already held is not kept.
    /// </summary>
    public JoinResult OfferResponse(MetricKey key, string requestId, DecodedResponse response)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            ExpireLocked(now);
            var scope = JoinScope.Of(key);
            SaveLocked(scope, requestId);
            var stats = StatsLocked(scope);
            if (!TryGetLiveLocked(scope, requestId, now, out var entry))
            {
                entry = new JoinEntry { Key = key, Response = response, ResponseArrived = now };
                stats.Totals.ResponsesSeen++;
                stats.PendingResponses++;
                stats.Estimator.Pending(response, +1);
                PlaceLocked(scope, requestId, entry, now);
                EvictLocked();
                return new JoinResult(JoinAction.ResponsePending, key);
            }

            if (entry.Response is not null)
            {
                stats.Totals.DuplicateResponses++;
                MarkLocked(scope);
                return new JoinResult(JoinAction.ResponseAlreadyHeld, entry.Key);
            }

            // The truth came first: count now, under the response's key, with a label delay of zero.
            var counted = ClassDecoder.Combine(entry.Truth!, response, entry.Reward);
            entry.Key = key;
            entry.Response = response;
            entry.ResponseArrived = now;
            entry.CountedAt = now;
            stats.Totals.ResponsesSeen++;
            stats.ParkedTruths--;
            stats.JoinedHeld++;
            stats.Totals.Joined++;
            stats.Delay.Add(0);
            stats.Estimator.Joined(counted, +1);
            PlaceLocked(scope, requestId, entry, now);
            return new JoinResult(JoinAction.Joined, key, counted);
        }
    }

    /// <summary>
    /// Takes a truth-only feedback: joined when its response is pending, a correction when its request was joined
    /// already (refused, changing nothing, when row counts differ), else parked.
    /// </summary>
    public JoinResult OfferTruth(JoinScope scope, string requestId, DecodedTruth truth, double? reward)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            ExpireLocked(now);
            SaveLocked(scope, requestId);
            var stats = StatsLocked(scope);
            if (!TryGetLiveLocked(scope, requestId, now, out var entry))
            {
                entry = new JoinEntry { Truth = truth, Reward = reward, TruthArrived = now };
                stats.ParkedTruths++;
                PlaceLocked(scope, requestId, entry, now);
                EvictLocked();
                return new JoinResult(JoinAction.TruthParked);
            }

            if (entry.Response is null)
            {
                entry.Truth = truth;
                entry.Reward = reward;
                entry.TruthArrived = now;
                stats.Totals.Corrections++;
                PlaceLocked(scope, requestId, entry, now);
                return new JoinResult(JoinAction.ParkedTruthReplaced);
            }

            var counted = ClassDecoder.Combine(truth, entry.Response, reward);
            if (entry.Truth is null)
            {
                entry.Truth = truth;
                entry.Reward = reward;
                entry.TruthArrived = now;
                entry.CountedAt = now;
                stats.PendingResponses--;
                stats.JoinedHeld++;
                stats.Totals.Joined++;
                stats.Delay.Add(Math.Max(0, (now - entry.ResponseArrived).TotalSeconds));
                stats.Estimator.Pending(entry.Response, -1);
                stats.Estimator.Realize(counted);
                stats.Estimator.Joined(counted, +1);
                PlaceLocked(scope, requestId, entry, now);
                return new JoinResult(JoinAction.Joined, entry.Key, counted);
            }

            if (entry.Truth.Rows.AsSpan().SequenceEqual(truth.Rows))
            {
                return new JoinResult(JoinAction.TruthUnchanged, entry.Key);
            }

            var replaced = ClassDecoder.Combine(entry.Truth, entry.Response, entry.Reward);
            entry.Truth = truth;
            entry.Reward = reward;
            entry.TruthArrived = now;
            stats.Totals.Corrections++;
            stats.Estimator.Joined(replaced, -1);
            stats.Estimator.Joined(counted, +1);
            PlaceLocked(scope, requestId, entry, now);
            return new JoinResult(JoinAction.Corrected, entry.Key, counted, replaced);
        }
    }

    /// <summary>Forgets, counted, what is past the TTL or the cap: housekeeping, called by whoever changes the ledger, never by a reader.</summary>
    public void Expire()
    {
        lock (_lock)
        {
            ExpireLocked(_time.GetUtcNow());
            EvictLocked();
        }
    }

    /// <summary>The figures of one deployment as they stand (reading forgets nothing), or null when it has none.</summary>
    public JoinFigures? Figures(JoinScope scope)
    {
        lock (_lock)
        {
            return _stats.TryGetValue(scope, out var stats) ? stats.Figures(scope) : null;
        }
    }

    /// <summary>The figures of every deployment the join has seen, ordered by namespace then deployment.</summary>
    public List<JoinFigures> FiguresAll()
    {
        List<JoinFigures> all;
        lock (_lock)
        {
            all = [.. _stats.Select(pair => pair.Value.Figures(pair.Key))];
        }

        all.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Scope.Namespace, b.Scope.Namespace);
            return c != 0 ? c : string.CompareOrdinal(a.Scope.Deployment, b.Scope.Deployment);
        });
        return all;
    }

    /// <summary>The entry held for a request id, unless there is none or it is past its TTL (then forgotten now, counted).</summary>
    private bool TryGetLiveLocked(JoinScope scope, string requestId, DateTimeOffset now, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out JoinEntry entry)
    {
        if (!_entries.TryGet((scope, requestId), out entry))
        {
            return false;
        }

        if (entry.LastChange + Limits.Ttl > now)
        {
            return true;
        }

        ForgetLocked(scope, requestId, entry, evicted: false);
        entry = null;
        return false;
    }

    private JoinScopeStats StatsLocked(JoinScope scope)
    {
        if (!_stats.TryGetValue(scope, out var stats))
        {
            stats = new JoinScopeStats();
            _stats.Add(scope, stats);
        }

        return stats;
    }
}
