namespace FeedbackMetrics.Benchmarks;

/// <summary>A clock that moves on a fixed step each time it is read, so time windows slide through their buckets as under live traffic.</summary>
public sealed class SteppingClock(DateTimeOffset start, TimeSpan step) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now += step;
}
