using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Json;

/// <summary>
/// The late-truth join of a model's deployment in the JSON view: entries held (pending responses, parked truths),
/// totals (joined, expired — by the TTL or the size cap —, corrections) and the share of responses that got their truth.
/// </summary>
public sealed record JoinBody(long PendingResponses, long ParkedTruths, long Joined, long Expired, long Corrections, double? LabelCoverage)
{
    public static JoinBody Of(JoinFigures f) => new(f.PendingResponses, f.ParkedTruths, f.Joined, f.Expired, f.Corrections, f.LabelCoverage);
}

/// <summary>Quantiles of the time from a response's arrival to its truth's, in seconds (within 4.43 %).</summary>
public sealed record LabelDelayBody(double? P50, double? P90, double? P99);

/// <summary>
/// The accuracy the pending responses are expected to have (their top probability calibrated on the rows already
/// joined); <see cref="BasedOn"/> the pending rows with a probability distribution it rests on, of which
/// <see cref="CalibratedRows"/> fell in a confidence bin the <see cref="JoinedRows"/> calibrate; and how it fared on
/// the rows whose truth has come since (rows, expected and actual accuracy).
/// </summary>
public sealed record EstimatedBody(double? Accuracy, long BasedOn, long CalibratedRows, long JoinedRows, RealizedEstimate Realized);
