namespace FeedbackMetrics.Core.Join;

/// <summary>
/// What one deployment holds now, as counts: entries of each kind and the pending rows the estimate rests on (per
/// calibration bin, rows and their summed top probability). Kept with the deployment's counts (the SQLite log's
/// snapshot, Redis's sums), so that these need not be counted again from every entry.
/// </summary>
public sealed record JoinHeld(long PendingResponses, long ParkedTruths, long JoinedHeld, IReadOnlyList<long> PendingRows, IReadOnlyList<double> PendingConfidence);
