namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The join's totals for one namespace and deployment since the start: responses taken, requests joined, corrections,
/// responses refused as a second one for a request id already held, and what was forgotten — pending responses and
/// parked truths past the TTL or the size cap, and joined requests no longer open to corrections. One list, kept by
/// the ledger, persisted by the stores and shown as figures.
/// </summary>
public record struct JoinTotals(
    long ResponsesSeen,
    long Joined,
    long Corrections,
    long DuplicateResponses,
    long ExpiredResponses,
    long ExpiredTruths,
    long EvictedResponses,
    long EvictedTruths,
    long ForgottenJoins)
{
    /// <summary>How many values <see cref="ToArray"/> gives.</summary>
    public const int Length = 9;

    /// <summary>Pending responses and parked truths forgotten, by the TTL or the size cap.</summary>
    public readonly long Expired => ExpiredResponses + ExpiredTruths + EvictedResponses + EvictedTruths;

    /// <summary>The share of responses taken that got their truth; null before the first response.</summary>
    public readonly double? LabelCoverage => ResponsesSeen == 0 ? null : Joined / (double)ResponsesSeen;

    /// <summary>The totals in declaration order, as a store writes them.</summary>
    public readonly long[] ToArray() =>
        [ResponsesSeen, Joined, Corrections, DuplicateResponses, ExpiredResponses, ExpiredTruths, EvictedResponses, EvictedTruths, ForgottenJoins];

    public static JoinTotals FromArray(ReadOnlySpan<long> n) =>
        n.Length == Length
            ? new(n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8])
            : throw new ArgumentException($"Expected {Length} totals, got {n.Length}.", nameof(n));
}
