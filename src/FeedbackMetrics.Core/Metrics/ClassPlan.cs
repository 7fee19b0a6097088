using FeedbackMetrics.Core.Decoding;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// The classes a key will hold once pending events are applied, worked out before they are: a durable store
/// writes class names in exactly the order the read model will register them, and checks the class cap
/// across a whole group commit.
/// </summary>
public sealed class ClassPlan
{
    private readonly ClassSet _set;

    public ClassPlan(IEnumerable<string> existing)
    {
        _set = ClassSet.FromNames(existing);
        InitialCount = _set.Count;
    }

    private ClassPlan(ClassPlan other)
    {
        _set = ClassSet.FromNames(other.Names);
        InitialCount = other.InitialCount;
    }

    /// <summary>An independent copy, to try a request on without touching what is already admitted.</summary>
    public ClassPlan Copy() => new(this);

    /// <summary>Classes the key had before this plan.</summary>
    public int InitialCount { get; }

    public IReadOnlyList<string> Names => _set.Names;

    /// <summary>Adds the feedback's classes; throws <see cref="InvalidFeedbackException"/> past the cap, changing nothing.</summary>
    public void Add(DecodedFeedback feedback, int maxClasses)
    {
        _set.CheckCapacity(feedback, maxClasses);
        _set.Register(feedback);
    }
}
