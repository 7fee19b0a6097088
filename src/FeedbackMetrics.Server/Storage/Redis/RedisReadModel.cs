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
/// other replicas' events — added as restored counts (a relabel elsewhere lowers one cell and raises another). Class
/// names are brought in first, in Redis's order, so every replica shows the classes of a model in one order. A state
/// that is not a continuation of the one held (a reset elsewhere) replaces it. The windows and probability sums are
/// replaced whole by the shared ones each time a refresh reads them (<see cref="RedisShared"/>); between refreshes a
/// replica's own rows show in them at once. Thread-safe: one lock orders every change.
/// </summary>
internal sealed partial class RedisReadModel(MetricsBook book)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<MetricKey, Entry> _models = [];
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

    /// <summary>The version whose shared figures (windows, probability sums) the book shows; −1 when none was read.</summary>
    public long SharedVersionOf(MetricKey key)
    {
        lock (_gate)
        {
            return _models.TryGetValue(key, out var m) ? m.SharedVersion : -1;
        }
    }

    /// <summary>
    /// Brings a model to a state Redis answered with; <paramref name="own"/> are this replica's changes in it since
    /// the state held (counted rows go through the book's normal path; relabels move the cumulative cells). An older
    /// version is ignored: a refresh already brought in more (own changes then came in as restored counts). A state
    /// read with its shared figures puts them in place of the book's windows and probability sums.
    /// </summary>
    public void Sync(MetricKey key, RedisKeyState next, IReadOnlyList<OwnChange> own)
    {
        lock (_gate)
        {
            var entry = Touch(key);
            var held = entry.State;
            if (held.Version > next.Version || (held.Version == next.Version && next.Shared is null))
            {
                return;
            }

            if (held.Version < next.Version)
            {
                entry.State = next with { Shared = null };
                if (next.IsEmpty)
                {
                    book.Remove(key);
                    return;
                }

                Advance(key, held, next, own);
            }

            if (next.Shared is { } shared && book.TryGet(key, out var aggregate))
            {
                aggregate.ReplaceWindows(shared.Probabilities, shared.Rows, shared.Buckets, shared.NextSequence);
                entry.SharedVersion = next.Version;
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

    /// <summary>Brings the book's cumulative figures from the state held to the next one.</summary>
    private void Advance(MetricKey key, RedisKeyState held, RedisKeyState next, IReadOnlyList<OwnChange> own)
    {
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
            if (change.Replaced is null)
            {
                book.Apply(key, change.Rows);
            }
            else
            {
                MoveOwn(key, aggregate, change);
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

    /// <summary>
    /// Moves the rows of a relabel this replica made in the cumulative matrix. The windows and probability sums it
    /// moved are Redis's (the apply script moved them where the rows were counted); the next refresh reads them.
    /// </summary>
    private void MoveOwn(MetricKey key, KeyAggregate aggregate, OwnChange change)
    {
        var replaced = change.Replaced!;
        var classes = aggregate.ClassNames();
        for (var i = 0; i < replaced.Rows.Length; i++)
        {
            var t = Array.IndexOf(classes, replaced.Rows[i].Truth.DisplayName);
            var p = Array.IndexOf(classes, replaced.Rows[i].Predicted.DisplayName);
            if (t >= 0 && p >= 0)
            {
                book.Relabel(key, new CountedRow(Nowhere, new WindowRow(t, p)), change.Rows.Rows[i].Truth, null, i);
            }
        }
    }

    /// <summary>A place in no window: what a relabel moves a row with when only its cumulative cells move here.</summary>
    internal static readonly RowStamp Nowhere = new(long.MinValue, DateTimeOffset.MinValue);

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

        public long SharedVersion { get; set; } = -1;

        public long TouchedAt { get; set; }
    }
}

/// <summary>One change this replica made to a model in a request: rows counted, or rows moved from <see cref="Replaced"/> to new truths.</summary>
internal sealed record OwnChange(DecodedFeedback Rows, DecodedFeedback? Replaced = null);
