namespace FeedbackMetrics.Core.Join;

/// <summary>
/// What the join keeps per namespace and deployment besides its entries, as a store keeps it: the totals since the
/// start, the label-delay bucket counts, the reliability table of joined rows and the sums of how the estimate fared, and
/// (<see cref="Held"/>) the counts of entries held and the pending rows of the estimate: the engine's join takes those from here.
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
