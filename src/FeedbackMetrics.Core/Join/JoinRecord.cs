using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.Join;

/// <summary>
/// One entry of the join as a store keeps it: the request, its response (with the response's key) and its truth as
/// far as each has come, when each arrived, when the entry last changed (it is forgotten a TTL later) and the
/// sequence number of that change (what orders entries that changed at the same instant, for expiry and the cap),
/// and, once joined, when it was first counted and how the host counted its rows.
/// </summary>
public sealed record JoinRecord(
    JoinScope Scope,
    string RequestId,
    MetricKey? Key,
    DecodedResponse? Response,
    DateTimeOffset ResponseArrived,
    DecodedTruth? Truth,
    double? Reward,
    DateTimeOffset TruthArrived,
    DateTimeOffset CountedAt,
    DateTimeOffset LastChange,
    long Sequence,
    IReadOnlyList<CountedRow>? Counted);

/// <summary>
/// What the join keeps per namespace and deployment besides its entries, as a store keeps it: the totals since the
/// start, the label-delay bucket counts, the reliability table of joined rows and the sums of how the estimate fared, and
/// (<see cref="Held"/>) the counts of entries held and the pending rows of the estimate: the engine's join and a
/// mirroring ledger take those from here, a ledger restored from entries counts them again from those.
/// </summary>
public sealed record JoinScopeState(
    JoinScope Scope,
    JoinTotals Totals,
    IReadOnlyList<long> DelayCounts,
    IReadOnlyList<long> ReliabilityRows,
    IReadOnlyList<long> ReliabilityCorrect,
    long RealizedRows,
    double RealizedExpected,
    long RealizedCorrect)
{
    /// <summary>What the deployment holds now (always handed over by the ledger; absent in states stored before it was kept).</summary>
    public JoinHeld? Held { get; init; }
}

/// <summary>What changed in the join since the last <see cref="JoinLedger.TakeChanges"/>: entries to write, entries to delete, deployments whose state to write.</summary>
public sealed record JoinChanges(IReadOnlyList<JoinRecord> Written, IReadOnlyList<(JoinScope Scope, string RequestId)> Deleted, IReadOnlyList<JoinScopeState> Scopes);
