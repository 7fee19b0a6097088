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
internal sealed class RedisReadModel(MetricsBook book, int maxCounted)
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

    /// <summary>
    /// The rows relabels elsewhere moved out of each cell: those of <paramref name="next"/> not in
    /// <paramref name="held"/> nor moved by this replica's own relabels (the book counted those as it moved them).
    /// </summary>
    private static List<(string, string, long)> RelabelledResidual(RedisKeyState held, RedisKeyState next, IReadOnlyList<OwnChange> own)
    {
        var n = next.Classes.Length;
        var delta = next.Relabelled is null ? new long[n * n] : (long[])next.Relabelled.Clone();
        var m = held.Version < 0 ? 0 : held.Classes.Length;
        if (held.Relabelled is { } before)
        {
            for (var i = 0; i < Math.Min(before.Length, m * m); i++)
            {
                delta[((i / m) * n) + (i % m)] -= before[i];
            }
        }

        var position = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            position[next.Classes[i]] = i;
        }

        foreach (var change in own)
        {
            for (var i = 0; i < (change.Replaced?.Rows.Length ?? 0); i++)
            {
                var old = change.Replaced!.Rows[i];
                if (old.Truth.DisplayName != change.Rows.Rows[i].Truth.DisplayName
                    && position.TryGetValue(old.Truth.DisplayName, out var t) && position.TryGetValue(old.Predicted.DisplayName, out var p))
                {
                    delta[(t * n) + p]--;
                }
            }
        }

        return [.. RedisKeyState.CellsOf(next.Classes, delta)];
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

    /// <summary>
    /// The cells of <paramref name="next"/> not in <paramref name="held"/> nor in the own changes, by class name (a
    /// relabel elsewhere lowers one cell and raises another); null when <paramref name="next"/> does not continue
    /// <paramref name="held"/> (the model was reset since, or its classes are not a continuation).
    /// </summary>
    private static List<(string, string, long)>? Residual(RedisKeyState held, RedisKeyState next, IReadOnlyList<OwnChange> own)
    {
        var heldClasses = held.Version < 0 ? [] : held.Classes;
        if ((held.Version >= 0 && held.Generation != next.Generation)
            || heldClasses.Length > next.Classes.Length || !heldClasses.AsSpan().SequenceEqual(next.Classes.AsSpan(0, heldClasses.Length)))
        {
            return null;
        }

        var n = next.Classes.Length;
        var position = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            position[next.Classes[i]] = i;
        }

        var delta = (long[])next.Matrix.Clone();
        var m = heldClasses.Length;
        for (var t = 0; t < m; t++)
        {
            for (var p = 0; p < m; p++)
            {
                delta[(t * n) + p] -= held[t, p];
            }
        }

        bool Take(Observation row, long count)
        {
            if (!position.TryGetValue(row.Truth.DisplayName, out var t) || !position.TryGetValue(row.Predicted.DisplayName, out var p))
            {
                return false;
            }

            delta[(t * n) + p] -= count;
            return true;
        }

        foreach (var change in own)
        {
            for (var i = 0; i < change.Rows.Rows.Length; i++)
            {
                if (!Take(change.Rows.Rows[i], 1) || (change.Replaced is { } replaced && !Take(replaced.Rows[i], -1)))
                {
                    return null;
                }
            }
        }

        var residual = new List<(string, string, long)>();
        for (var i = 0; i < delta.Length; i++)
        {
            if (delta[i] != 0)
            {
                residual.Add((next.Classes[i / n], next.Classes[i % n], delta[i]));
            }
        }

        return residual;
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
