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
/// (<see cref="Held"/>) the counts of entries held and the pending rows of the estimate: a ledger restored from all its
/// entries counts those again from them, one whose entries stay on disk takes them from here.
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
public sealed record JoinChanges(IReadOnlyList<JoinRecord> Written, IReadOnlyList<(JoinScope Scope, string RequestId)> Deleted, IReadOnlyList<JoinScopeState> Scopes)
{
    public bool IsEmpty => Written.Count == 0 && Deleted.Count == 0 && Scopes.Count == 0 && DeleteThrough == 0;

    /// <summary>
    /// With entries on disk: delete every stored entry whose sequence number is at most this (0: none) — those expiry
    /// and the cap forgot, oldest first — before writing <see cref="Written"/>.
    /// </summary>
    public long DeleteThrough { get; init; }

    /// <summary>Which version of each entry this hands over: once committed, the ledger forgets the ones not changed since.</summary>
    internal IReadOnlyList<((JoinScope Scope, string RequestId) Id, long Version)> Versions { get; init; } = [];

    /// <summary>How many entries the ledger had forgotten oldest first when it handed these over.</summary>
    internal long Forgets { get; init; }
}
