using FeedbackMetrics.Core.Decoding;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// The classes one key has seen, in the order of the confusion matrix. A numeric class i brings in
/// CLASS_0 … CLASS_i, so one-hot and numeric keys read in index order; string labels are added as they appear.
/// Not thread-safe: its owner locks.
/// </summary>
internal sealed class ClassSet
{
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _positions = new(StringComparer.Ordinal);
    private int[] _positionOfIndex = [];

    public int Count => _names.Count;

    public static ClassSet FromNames(IEnumerable<string> names)
    {
        var set = new ClassSet();
        foreach (var name in names)
        {
            set.PositionOf(ClassLabel.OfName(name));
        }

        return set;
    }

    /// <summary>Registers every class the feedback brings, in the one order both the read model and the stores use.</summary>
    public void Register(DecodedFeedback feedback)
    {
        EnsureWidth(feedback.ClassWidth);
        foreach (var row in feedback.Rows)
        {
            PositionOf(row.Truth);
            PositionOf(row.Predicted);
        }
    }

    public IReadOnlyList<string> Names => _names;

    /// <summary>How many classes would be added if these labels (and a one-hot width) were applied.</summary>
    public int CountNew(ReadOnlySpan<Observation> rows, int width)
    {
        var maxIndex = width - 1;
        HashSet<string>? newNames = null;
        foreach (var row in rows)
        {
            Consider(row.Truth, ref maxIndex, ref newNames);
            Consider(row.Predicted, ref maxIndex, ref newNames);
        }

        var added = newNames?.Count ?? 0;
        for (var i = _positionOfIndex.Length; i <= maxIndex; i++)
        {
            if (!_positions.ContainsKey(ClassNames.ForIndex(i)) && newNames?.Contains(ClassNames.ForIndex(i)) != true)
            {
                added++;
            }
        }

        return added;
    }

    /// <summary>Throws <see cref="InvalidFeedbackException"/> when the feedback would bring the key past <paramref name="maxClasses"/> classes.</summary>
    public void CheckCapacity(DecodedFeedback feedback, int maxClasses)
    {
        var added = CountNew(feedback.Rows, feedback.ClassWidth);
        if (added > 0 && Count + added > maxClasses)
        {
            throw new InvalidFeedbackException(
                RejectionKind.LimitExceeded,
                $"This event would bring the model to {Count + added} classes; at most {maxClasses} are kept per model (--max_classes).");
        }
    }

    public void EnsureWidth(int width)
    {
        if (width > 0)
        {
            PositionOf(ClassLabel.OfIndex(width - 1));
        }
    }

    /// <summary>Forgets the classes registered after the first <paramref name="count"/> (a planned request taken back).</summary>
    public void TruncateTo(int count)
    {
        for (var i = _names.Count - 1; i >= count; i--)
        {
            _positions.Remove(_names[i]);
            _names.RemoveAt(i);
        }

        var keep = 0;
        while (keep < _positionOfIndex.Length && _positionOfIndex[keep] < count)
        {
            keep++;
        }

        Array.Resize(ref _positionOfIndex, keep);
    }

    public int PositionOf(ClassLabel label)
    {
        if (label.Name is null)
        {
            if ((uint)label.Index < (uint)_positionOfIndex.Length)
            {
                return _positionOfIndex[label.Index];
            }

            var old = _positionOfIndex.Length;
            Array.Resize(ref _positionOfIndex, label.Index + 1);
            for (var i = old; i <= label.Index; i++)
            {
                _positionOfIndex[i] = PositionOfName(ClassNames.ForIndex(i));
            }

            return _positionOfIndex[label.Index];
        }

        return PositionOfName(label.Name);
    }

    private int PositionOfName(string name)
    {
        if (!_positions.TryGetValue(name, out var position))
        {
            position = _names.Count;
            _names.Add(name);
            _positions.Add(name, position);
        }

        return position;
    }

    private void Consider(ClassLabel label, ref int maxIndex, ref HashSet<string>? newNames)
    {
        if (label.Name is null)
        {
            maxIndex = Math.Max(maxIndex, label.Index);
        }
        else if (!_positions.ContainsKey(label.Name))
        {
            (newNames ??= new HashSet<string>(StringComparer.Ordinal)).Add(label.Name);
        }
    }
}
