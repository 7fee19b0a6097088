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
    private double _rewardTotal;
    private long _rewardEvents;

    public MetricKey Key { get; } = key;

    public void Apply(DecodedFeedback feedback, int maxClasses)
    {
        lock (_lock)
        {
            CheckCapacityLocked(_classes, feedback, maxClasses);
            _classes.Register(feedback);
            _matrix.Grow(_classes.Count);
            foreach (var row in feedback.Rows)
            {
                _matrix.Add(_classes.PositionOf(row.Truth), _classes.PositionOf(row.Predicted), 1);
            }

            _count += feedback.Rows.Length;
            if (feedback.Reward is { } reward)
            {
                _rewardTotal += reward;
                _rewardEvents++;
            }

            _version++;
        }
    }

    /// <summary>Takes back an <see cref="Apply"/> whose commit failed; classes it brought in stay, with no counts.</summary>
    public void Unapply(DecodedFeedback feedback)
    {
        lock (_lock)
        {
            foreach (var row in feedback.Rows)
            {
                _matrix.Add(_classes.PositionOf(row.Truth), _classes.PositionOf(row.Predicted), -1);
            }

            _count -= feedback.Rows.Length;
            if (feedback.Reward is { } reward)
            {
                _rewardTotal -= reward;
                _rewardEvents--;
            }

            _version++;
        }
    }

    /// <summary>Adds stored counts back (start-up restore): classes in their stored order, cells by class name, the reward sums.</summary>
    public void Restore(IEnumerable<string> classes, IEnumerable<(string Truth, string Predicted, long Count)> cells, double rewardTotal, long rewardEvents)
    {
        lock (_lock)
        {
            _rewardTotal += rewardTotal;
            _rewardEvents += rewardEvents;
            foreach (var name in classes)
            {
                _classes.PositionOf(ClassLabel.OfName(name));
            }

            foreach (var (truth, predicted, count) in cells)
            {
                var t = _classes.PositionOf(ClassLabel.OfName(truth));
                var p = _classes.PositionOf(ClassLabel.OfName(predicted));
                _matrix.Grow(_classes.Count);
                _matrix.Add(t, p, count);
                _count += count;
            }

            _version++;
        }
    }

    /// <summary>The class names in matrix order.</summary>
    public string[] ClassNames()
    {
        lock (_lock)
        {
            return [.. _classes.Names];
        }
    }

    public KeySnapshot Snapshot()
    {
        lock (_lock)
        {
            return new KeySnapshot(Key, [.. _classes.Names], _matrix.ToArray(), _count, _version, _rewardTotal, _rewardEvents);
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
