using System.Collections.Concurrent;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// The names each model's own responses gave its classes (Seldon's <c>data.names</c>, see
/// <see cref="Decoding.ResponseClassNames"/>), shown for CLASS_0, CLASS_1, … in the JSON view and the web view.
/// The latest response that names its classes wins: names follow the model as it is now (a redeployed model with
/// renamed or reordered classes shows its new names; the counts of a column stay those of CLASS_i, as Seldon's
/// counters keep them). A response without usable names (none, Seldon's <c>t:i</c>, or not one per column) leaves the
/// names as they are, so a model whose responses sometimes omit them does not flicker. A reset does not forget them:
/// they describe the model, not its counts. At most one entry per model the book may hold: keys come from senders, and
/// when it is full, entries of models that hold no counts (responses whose truth never came) make room first. With
/// <c>--state sqlite</c> the names are kept in the state file with the model's counts; with <c>--state redis</c> each
/// replica learns them from the responses it takes (a restarted replica from the next one), as they are not shared.
/// Thread-safe.
/// </summary>
public sealed class ModelClassNames(int maxKeys, Func<MetricKey, bool> counted)
{
    private readonly ConcurrentDictionary<MetricKey, IReadOnlyList<string>> _names = new();

    public int Count => _names.Count;

    /// <summary>The names of a model's classes in index order, or null when its responses named none.</summary>
    public IReadOnlyList<string>? Of(MetricKey key) => _names.GetValueOrDefault(key);

    /// <summary>Keeps the names a model's response gave (null: none, nothing changes); false when there is no room for a new model.</summary>
    public bool Set(MetricKey key, IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return true;
        }

        if (_names.TryGetValue(key, out var known))
        {
            if (!known.SequenceEqual(names, StringComparer.Ordinal))
            {
                _names[key] = names;
            }

            return true;
        }

        if (_names.Count >= maxKeys)
        {
            foreach (var other in _names.Keys)
            {
                if (!counted(other))
                {
                    _names.TryRemove(other, out _);
                }
            }

            if (_names.Count >= maxKeys)
            {
                return false;
            }
        }

        _names[key] = names;
        return true;
    }

    /// <summary>Every model's names (what a full snapshot keeps).</summary>
    public IEnumerable<KeyValuePair<MetricKey, IReadOnlyList<string>>> All() => _names;

    public void Clear() => _names.Clear();
}
