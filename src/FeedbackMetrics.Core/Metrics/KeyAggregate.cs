using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>The running confusion matrix of one key. Thread-safe: every call takes the key's own lock.</summary>
public sealed class KeyAggregate(MetricKey key)
{
    private readonly Lock _lock = new();
    private readonly ClassSet _classes = new();
    private readonly ConfusionMatrix _matrix = new();
    private long _count;
    private long _version;

    public MetricKey Key { get; } = key;

    /// <summary>Throws <see cref="InvalidFeedbackException"/> if applying the feedback would take the key past <paramref name="maxClasses"/>.</summary>
    public void CheckCapacity(DecodedFeedback feedback, int maxClasses)
    {
        lock (_lock)
        {
            CheckCapacityLocked(_classes, feedback, maxClasses);
        }
    }

    public void Apply(DecodedFeedback feedback, int maxClasses)
    {
        lock (_lock)
        {
            CheckCapacityLocked(_classes, feedback, maxClasses);
            _classes.EnsureWidth(feedback.ClassWidth);
            foreach (var row in feedback.Rows)
            {
                var truth = _classes.PositionOf(row.Truth);
                var predicted = _classes.PositionOf(row.Predicted);
                _matrix.Grow(_classes.Count);
                _matrix.Add(truth, predicted, 1);
            }

            _matrix.Grow(_classes.Count);
            _count += feedback.Rows.Length;
            _version++;
        }
    }

    /// <summary>Adds stored counts back (start-up restore): classes by name, cells by (truth, predicted) position in <paramref name="classes"/>.</summary>
    public void Restore(IReadOnlyList<string> classes, IEnumerable<(int Truth, int Predicted, long Count)> cells)
    {
        lock (_lock)
        {
            var positions = new int[classes.Count];
            for (var i = 0; i < classes.Count; i++)
            {
                positions[i] = _classes.PositionOf(ClassLabel.OfName(classes[i]));
            }

            _matrix.Grow(_classes.Count);
            foreach (var (truth, predicted, count) in cells)
            {
                _matrix.Add(positions[truth], positions[predicted], count);
                _count += count;
            }

            _version++;
        }
    }

    public KeySnapshot Snapshot()
    {
        lock (_lock)
        {
            return new KeySnapshot(Key, [.. _classes.Names], _matrix.ToArray(), _count, _version);
        }
    }

    public long Version
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    internal static void CheckCapacityLocked(ClassSet classes, DecodedFeedback feedback, int maxClasses)
    {
        var added = classes.CountNew(feedback.Rows, feedback.ClassWidth);
        if (added > 0 && classes.Count + added > maxClasses)
        {
            throw new InvalidFeedbackException(
                RejectionKind.LimitExceeded,
                $"This event would bring the model to {classes.Count + added} classes; at most {maxClasses} are kept per model (--max_classes).");
        }
    }
}
