namespace FeedbackMetrics.Core.Join;

/// <summary>
/// What one deployment holds now, as counts: entries of each kind and the pending rows the estimate rests on (per
/// calibration bin, rows and their summed top probability). A store that keeps entries on disk persists it with the
/// deployment, so that a restart need not read every entry back.
/// </summary>
public sealed record JoinHeld(long PendingResponses, long ParkedTruths, long JoinedHeld, IReadOnlyList<long> PendingRows, IReadOnlyList<double> PendingConfidence);
