namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The join's figures for one namespace and deployment. Entries held now: <see cref="PendingResponses"/>,
/// <see cref="ParkedTruths"/>, <see cref="JoinedHeld"/> (joined requests kept so a later truth can correct them).
/// Totals since start: responses taken (<see cref="ResponsesSeen"/>), requests joined, corrections, responses
/// refused as a second response for a request id already held, and what was forgotten — expired past the TTL or
/// evicted by the size cap, per side. <see cref="LabelCoverage"/> is joined / responses seen.
/// </summary>
public sealed record JoinFigures(
    JoinScope Scope,
    long PendingResponses,
    long ParkedTruths,
    long JoinedHeld,
    JoinTotals Totals,
    LabelDelay LabelDelay,
    EstimatedAccuracy Estimated);

/// <summary>Quantiles of the label delay in seconds (null before the first join) and how many joins they rest on.</summary>
public sealed record LabelDelay(double? P50, double? P90, double? P99, long Count);
