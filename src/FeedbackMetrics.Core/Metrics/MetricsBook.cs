using System.Collections.Concurrent;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// The read model: every key's running aggregate. Exposition, replies and the JSON view read it; stores
/// apply to it once an event is durable, and rebuild it at start-up.
/// </summary>
public sealed class MetricsBook(int maxKeys, int maxClasses)
{
    private readonly ConcurrentDictionary<MetricKey, KeyAggregate> _keys = new();

    public int MaxKeys { get; } = maxKeys;

    public int MaxClasses { get; } = maxClasses;

    public int KeyCount => _keys.Count;

    public KeySnapshot Apply(MetricKey key, DecodedFeedback feedback)
    {
        var aggregate = _keys.GetOrAdd(key, static k => new KeyAggregate(k));
        aggregate.Apply(feedback, MaxClasses);
        return aggregate.Snapshot();
    }

    /// <summary>Takes back an <see cref="Apply"/> whose commit failed; a key the apply created is removed again.</summary>
    public void Unapply(MetricKey key, DecodedFeedback feedback, bool keyWasNew)
    {
        if (keyWasNew)
        {
            _keys.TryRemove(key, out _);
        }
        else if (_keys.TryGetValue(key, out var aggregate))
        {
            aggregate.Unapply(feedback);
        }
    }

    public bool Contains(MetricKey key) => _keys.ContainsKey(key);

    /// <summary>The aggregate of a key, created if new (used when restoring).</summary>
    public KeyAggregate GetOrCreate(MetricKey key) => _keys.GetOrAdd(key, static k => new KeyAggregate(k));

    public bool TryGet(MetricKey key, out KeyAggregate aggregate) => _keys.TryGetValue(key, out aggregate!);

    public bool Remove(MetricKey key) => _keys.TryRemove(key, out _);

    public void Clear() => _keys.Clear();

    /// <summary>Snapshots of every key, ordered by key so outputs are stable.</summary>
    public List<KeySnapshot> SnapshotAll()
    {
        var snapshots = new List<KeySnapshot>(_keys.Count);
        foreach (var aggregate in _keys.Values)
        {
            snapshots.Add(aggregate.Snapshot());
        }

        snapshots.Sort(static (a, b) => CompareKeys(a.Key, b.Key));
        return snapshots;
    }

    private static int CompareKeys(MetricKey a, MetricKey b)
    {
        var c = string.CompareOrdinal(a.Namespace, b.Namespace);
        if (c == 0)
        {
            c = string.CompareOrdinal(a.Deployment, b.Deployment);
        }

        if (c == 0)
        {
            c = string.CompareOrdinal(a.Predictor, b.Predictor);
        }

        return c != 0 ? c : string.CompareOrdinal(a.Model, b.Model);
    }
}
