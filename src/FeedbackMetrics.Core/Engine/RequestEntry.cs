using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// What the join holds for one request id: its response (with the key it counts under) and its truth as far as each
/// has come, when each arrived, and once joined when it was first counted and where its rows were counted (what a
/// relabel moves). <see cref="LastChange"/> plus <c>--join_ttl</c> is when it is forgotten; <see cref="Stamp"/> orders
/// entries by last change (oldest forgotten first past the cap). Immutable: a step makes a new one.
/// </summary>
public sealed record RequestEntry(
    MetricKey Key,
    DecodedResponse? Response,
    DateTimeOffset ResponseArrived,
    DecodedTruth? Truth,
    double? Reward,
    DateTimeOffset TruthArrived,
    DateTimeOffset CountedAt,
    CountedRow[]? Counted,
    DateTimeOffset LastChange,
    long Stamp)
{
    /// <summary>
    /// The segment values (<c>--segment_by</c>) of what the entry holds: the response's (and the truth's for names the
    /// response lacks) until it is counted, then the values its rows were counted under, where a relabel moves them.
    /// </summary>
    public IReadOnlyList<SegmentValue> Segments { get; init; } = [];

    public bool IsJoined => Response is not null && Truth is not null;

    /// <summary>The rows a joined entry counts: its truth and response row by row.</summary>
    public DecodedFeedback Rows() => ClassDecoder.Combine(Truth!, Response!, Reward);
}
