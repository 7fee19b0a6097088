using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// Keeps the local <see cref="MetricsBook"/> equal to Redis's figures. It remembers, per model, the state (and
/// version) the book holds; a newer state from a script's answer or from a refresh is brought in as a difference:
/// this replica's own events through <see cref="MetricsBook.Apply"/> (as any store feeds the read model), the rest —
/// other replicas' events — added as restored counts (a relabel elsewhere lowers one cell and raises another: the
/// cumulative matrix follows, this replica's windows never held that row). Class names are brought in first, in Redis's order, so every
/// replica shows the classes of a model in one order. A state that is not a continuation of the one held (a reset
/// elsewhere) replaces it. Thread-safe: one lock orders every change.
/// </summary>
internal sealed partial class RedisReadModel(MetricsBook book, int maxCounted)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<MetricKey, Entry> _models = [];
    private readonly RedisCountedRows _counted = new(maxCounted);
    private long _touches;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _models.Count(m => !m.Value.State.IsEmpty);
            }
        }
    }

    /// <summary>A number that grows with every change; a refresh removes only models not touched since it began.</summary>
    public long Touches
    {
        get
        {
            lock (_gate)
            {
                return _touches;
            }
        }
    }

    /// <summary>The state the book holds for a model (<see cref="RedisKeyState.Unknown"/> when none).</summary>
    public RedisKeyState Get(MetricKey key)
    {
        lock (_gate)
        {
            return _models.TryGetValue(key, out var m) ? m.State : RedisKeyState.Unknown;
        }
    }

    public long VersionOf(MetricKey key)
    {
        lock (_gate)
        {
            return _models.TryGetValue(key, out var m) ? m.State.Version : -1;
        }
    }

    /// <summary>
    /// Brings a model to a state Redis answered with; <paramref name="own"/> are this replica's changes in it since
    /// the state held (counted rows go through the book's normal path, relabels move rows as
    /// <see cref="MoveOwn"/> says). An older or equal version is ignored: a refresh already brought in more (own
    /// changes then came in as restored counts).
    /// </summary>
    public void Sync(MetricKey key, RedisKeyState next, IReadOnlyList<OwnChange> own)
    {
        lock (_gate)
        {
            var entry = Touch(key);
            var held = entry.State;
            if (held.Version >= next.Version)
            {
                return;
            }

            entry.State = next;
            if (next.IsEmpty)
            {
                book.Remove(key);
                return;
            }

            if (Residual(held, next, own) is not { } residual)
            {
                // Not a continuation of what the book holds (reset and counted again elsewhere): replace it.
                book.Remove(key);
                book.GetOrCreate(key).Restore(next.ToKeyState());
                return;
            }

            var aggregate = book.GetOrCreate(key);
            aggregate.Restore(new KeyState(next.Classes, []));
            foreach (var change in own)
            {
                if (change.Replaced is not null)
                {
                    MoveOwn(key, aggregate, change);
                    continue;
                }

                var counted = change.Request is null ? null : new List<CountedRow>(change.Rows.Rows.Length);
                book.Apply(key, change.Rows, counted);
                if (change.Request is { } request)
                {
                    _counted.Remember(request, [.. counted!]);
                }
            }

            var ownReward = own.Where(f => f.Replaced is null && f.Rows.Reward is not null).Select(f => f.Rows.Reward!.Value).ToList();
            var rewardTotal = next.RewardTotal - held.RewardTotal - ownReward.Sum();
            var rewardEvents = next.RewardEvents - held.RewardEvents - ownReward.Count;
            var relabelled = RelabelledResidual(held, next, own);
            if (residual.Count > 0 || rewardEvents != 0 || relabelled.Count > 0)
            {
                aggregate.Restore(new KeyState(next.Classes, residual, rewardTotal, rewardEvents, Relabelled: relabelled));
            }
        }
    }

    /// <summary>Forgets every model (the state in Redis was lost and a new one began).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            foreach (var key in _models.Keys)
            {
                book.Remove(key);
            }

            _models.Clear();
        }
    }

    /// <summary>Forgets models no longer in Redis's set of models and not touched since <paramref name="since"/>.</summary>
    public void RemoveAbsent(IReadOnlySet<MetricKey> present, long since)
    {
        lock (_gate)
        {
            foreach (var (key, entry) in _models.ToList())
            {
                if (!present.Contains(key) && entry.TouchedAt < since)
                {
                    _models.Remove(key);
                    book.Remove(key);
                }
            }
        }
    }

    /// <summary>
    /// Moves the rows of a relabel this replica made. Rows this replica counted itself (and still remembers) move in
    /// the cumulative matrix, the probability sums and every window they are still in; rows another replica (or this
    /// one before a restart) counted move in the cumulative matrix only: windows and probability sums are per
    /// replica on Redis and never held them.
    /// </summary>
    private void MoveOwn(MetricKey key, KeyAggregate aggregate, OwnChange change)
    {
        var replaced = change.Replaced!;
        var local = change.Request is { } request ? _counted.Get(request, replaced.Rows.Length) : null;
        var classes = aggregate.ClassNames();
        var moved = new CountedRow[replaced.Rows.Length];
        for (var i = 0; i < moved.Length; i++)
        {
            var truth = change.Rows.Rows[i].Truth;
            if (local is not null)
            {
                moved[i] = book.Relabel(key, local[i], truth, change.Rows.Scores, i);
                continue;
            }

            var t = Array.IndexOf(classes, replaced.Rows[i].Truth.DisplayName);
            var p = Array.IndexOf(classes, replaced.Rows[i].Predicted.DisplayName);
            if (t >= 0 && p >= 0)
            {
                moved[i] = book.Relabel(key, new CountedRow(RedisCountedRows.Foreign, new WindowRow(t, p)), truth, null, i);
            }
        }

        if (local is not null)
        {
            _counted.Remember(change.Request!.Value, moved);
        }
    }

    private Entry Touch(MetricKey key)
    {
        if (!_models.TryGetValue(key, out var entry))
        {
            entry = new Entry();
            _models[key] = entry;
        }

        entry.TouchedAt = ++_touches;
        return entry;
    }

    private sealed class Entry
    {
        public RedisKeyState State { get; set; } = RedisKeyState.Unknown;

        public long TouchedAt { get; set; }
    }
}

/// <summary>
/// One change this replica made to a model in a request: rows counted (of a join, with its request, so a later
/// relabel through this replica can move them in its windows), or rows moved from <see cref="Replaced"/> to new truths.
/// </summary>
internal sealed record OwnChange(DecodedFeedback Rows, DecodedFeedback? Replaced = null, (JoinScope Scope, string RequestId)? Request = null);
