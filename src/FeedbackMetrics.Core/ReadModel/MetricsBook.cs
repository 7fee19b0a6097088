using System.Collections.Concurrent;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Core.ReadModel;

/// <summary>
/// The read model: every key's running aggregate. Exposition, replies and the JSON view read it; stores
/// apply to it once an event is durable, and rebuild it at start-up.
/// </summary>
public sealed class MetricsBook(int maxKeys, int maxClasses, IReadOnlyList<WindowSpec>? windows = null, TimeProvider? time = null)
{
    private readonly ConcurrentDictionary<MetricKey, KeyAggregate> _keys = new();
    private readonly Func<MetricKey, KeyAggregate> _create = key => new KeyAggregate(key, windows ?? [], time ?? TimeProvider.System);

    private ModelClassNames? _classNames;

    /// <summary>The names each model's responses gave its classes: shown in the JSON view, not counted.</summary>
    public ModelClassNames ClassNames => LazyInitializer.EnsureInitialized(ref _classNames, () => new ModelClassNames(MaxKeys, Contains));

    /// <summary>The clock rows are stamped with: which time-window buckets are still in their span follows from it.</summary>
    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    public int MaxKeys { get; } = maxKeys;

    public int MaxClasses { get; } = maxClasses;

    /// <summary>Most values of one segment name a model keeps (<c>--max_segment_values</c>); rows of later values count under <c>other</c>.</summary>
    public int MaxSegmentValues { get; init; } = 20;

    /// <summary>The windows every key keeps (<c>--windows</c>).</summary>
    public IReadOnlyList<WindowSpec> Windows { get; } = windows ?? [];

    public int KeyCount => _keys.Count;

    /// <summary>Counts the feedback under its key; <paramref name="counted"/> as in <see cref="KeyAggregate.Apply"/>.</summary>
    public KeySnapshot Apply(MetricKey key, DecodedFeedback feedback, List<CountedRow>? counted = null) =>
        _keys.GetOrAdd(key, _create).Apply(feedback, MaxClasses, counted);

    /// <summary>
    /// Moves one counted row of a key to a new truth (a relabel: a later truth for a request already counted), as
    /// <see cref="KeyAggregate.Relabel"/> does: in the cumulative matrix, the probability sums and every window the
    /// row is still in. Returns the row as now counted. The key must hold the row.
    /// </summary>
    public CountedRow Relabel(MetricKey key, CountedRow counted, ClassLabel truth, ScoreRows? scores, int scoreRow) =>
        _keys.TryGetValue(key, out var aggregate)
            ? aggregate.Relabel(counted, truth, scores, scoreRow, MaxClasses)
            : throw new InvalidOperationException($"Relabel of a row of {key}, which holds no rows.");

    public bool Contains(MetricKey key) => _keys.ContainsKey(key);

    /// <summary>Every key's aggregate, in no order (a reader that caches per version looks at each one's version first).</summary>
    public ICollection<KeyAggregate> Aggregates => _keys.Values;

    /// <summary>The aggregate of a key, created if new (used when restoring).</summary>
    public KeyAggregate GetOrCreate(MetricKey key) => _keys.GetOrAdd(key, _create);

    public bool TryGet(MetricKey key, out KeyAggregate aggregate) => _keys.TryGetValue(key, out aggregate!);

    public bool Remove(MetricKey key) => _keys.TryRemove(key, out _);

    public void Clear()
    {
        _keys.Clear();
        ClassNames.Clear();
    }

    /// <summary>Snapshots of every key, ordered by key so outputs are stable.</summary>
    public List<KeySnapshot> SnapshotAll()
    {
        var snapshots = new List<KeySnapshot>(_keys.Count);
        foreach (var aggregate in _keys.Values)
        {
            snapshots.Add(aggregate.Snapshot());
        }

        snapshots.Sort(static (a, b) => MetricKey.Compare(a.Key, b.Key));
        return snapshots;
    }

    /// <summary>Views of every key (snapshot, windows, probability sums), ordered by key.</summary>
    public List<KeyView> ViewAll()
    {
        var views = new List<KeyView>(_keys.Count);
        foreach (var aggregate in _keys.Values)
        {
            views.Add(aggregate.View());
        }

        views.Sort(static (a, b) => MetricKey.Compare(a.Snapshot.Key, b.Snapshot.Key));
        return views;
    }
}
