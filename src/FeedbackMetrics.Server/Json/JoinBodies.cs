using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Json;

/// <summary>
/// The late-truth join of a model's deployment in the JSON view: entries held (pending responses, parked truths),
/// totals (joined, expired — by the TTL or the size cap —, corrections) and the share of responses that got their truth.
/// </summary>
public sealed record JoinBody(long PendingResponses, long ParkedTruths, long Joined, long Expired, long Corrections, double? LabelCoverage)
{
    public static JoinBody Of(JoinFigures f) => new(f.PendingResponses, f.ParkedTruths, f.Totals.Joined, f.Totals.Expired, f.Totals.Corrections, f.Totals.LabelCoverage);
}

/// <summary>Quantiles of the time from a response's arrival to its truth's, in seconds (within 4.43 %).</summary>
public sealed record LabelDelayBody(double? P50, double? P90, double? P99)
{
    public static LabelDelayBody Of(JoinFigures f) => new(f.LabelDelay.P50, f.LabelDelay.P90, f.LabelDelay.P99);
}

/// <summary>
/// The accuracy the pending responses are expected to have (their top probability calibrated on the rows already
/// joined); <see cref="BasedOn"/> the pending rows with a probability distribution it rests on, of which
/// <see cref="CalibratedRows"/> fell in a confidence bin the <see cref="JoinedRows"/> calibrate; and how it fared on
/// the rows whose truth has come since (rows, expected and actual accuracy).
/// </summary>
public sealed record EstimatedBody(double? Accuracy, long BasedOn, long CalibratedRows, long JoinedRows, RealizedEstimate Realized)
{
    public static EstimatedBody Of(JoinFigures f) => new(f.Estimated.Accuracy, f.Estimated.PendingRows, f.Estimated.CalibratedPendingRows, f.Estimated.JoinedRows, f.Estimated.Realized);
}

/// <summary>
/// One deployment's join in the JSON view's top-level <c>joins</c>: listed for every deployment the join has seen,
/// so responses waiting for their first truth show before any of the deployment's models has a counted row.
/// </summary>
public sealed record DeploymentJoin(string Namespace, string Deployment, JoinBody Join, LabelDelayBody LabelDelaySeconds, EstimatedBody Estimated)
{
    public static DeploymentJoin Of(JoinFigures f) => new(
        f.Scope.Namespace,
        f.Scope.Deployment,
        JoinBody.Of(f),
        LabelDelayBody.Of(f),
        EstimatedBody.Of(f));
}
