namespace FeedbackMetrics.Core.Join;

/// <summary>
/// How long and how much the join keeps: every entry (pending response, parked truth, joined request kept for
/// corrections) is forgotten <see cref="Ttl"/> after its last change, and the oldest are forgotten first once more
/// than <see cref="MaxEntries"/> are held. Both are counted, never silent.
/// </summary>
public sealed record JoinLimits(TimeSpan Ttl, int MaxEntries)
{
    /// <summary><c>--join_ttl</c>'s default.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromDays(7);

    /// <summary>The default cap on entries held.</summary>
    public const int DefaultMaxEntries = 100_000;

    public static JoinLimits Default { get; } = new(DefaultTtl, DefaultMaxEntries);

    public void Validate()
    {
        if (Ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Ttl), Ttl, "The join TTL must be positive.");
        }

        if (MaxEntries < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEntries), MaxEntries, "The join must be allowed to hold at least one entry.");
        }
    }
}
