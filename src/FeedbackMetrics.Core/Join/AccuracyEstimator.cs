using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Join;

/// <summary>
/// Confidence-based performance estimation for rows whose truth has not come yet: the reliability table of the rows
/// already joined (per <see cref="CalibrationBins"/> bin of the top probability, how many rows and how many right)
/// calibrates the top probability of each pending row; their mean is the accuracy the pending rows are expected to
/// have. A pending row whose bin has no joined row yet is taken at its own top probability. Only rows whose score
/// vector is a probability distribution (<see cref="ScoreRows.IsDistribution"/>) take part. As pending rows get their
/// truth, what was expected of each then and whether it was right are summed (<see cref="Realize"/>): how far the
/// estimate was off. Sums only, so memory is fixed. Not thread-safe: its owner locks.
/// </summary>
public sealed class AccuracyEstimator
{
    private readonly long[] _joinedRows = new long[CalibrationBins.Count];
    private readonly long[] _joinedCorrect = new long[CalibrationBins.Count];
    private readonly long[] _pendingRows = new long[CalibrationBins.Count];
    private readonly double[] _pendingConfidence = new double[CalibrationBins.Count];
    private long _realizedRows;
    private long _realizedCorrect;
    private double _realizedExpected;

    /// <summary>
    /// A pending response got its truth: for each distribution row, what the estimate expected of it just before
    /// (its bin's observed accuracy, or its top probability) and whether it was right. Call before <see cref="Joined"/>.
    /// </summary>
    public void Realize(DecodedFeedback feedback)
    {
        if (feedback.Scores is not { } scores)
        {
            return;
        }

        for (var r = 0; r < scores.Count; r++)
        {
            if (scores.IsDistribution(r))
            {
                var confidence = Max(scores.Row(r));
                var bin = CalibrationBins.Of(confidence);
                _realizedExpected += _joinedRows[bin] > 0 ? _joinedCorrect[bin] / (double)_joinedRows[bin] : confidence;
                _realizedRows++;
                _realizedCorrect += feedback.Rows[r].Truth == feedback.Rows[r].Predicted ? 1 : 0;
            }
        }
    }

    /// <summary>The sums of <see cref="Realize"/> (rows, expected right, right), for a store to keep.</summary>
    public (long Rows, double Expected, long Correct) Realized() => (_realizedRows, _realizedExpected, _realizedCorrect);

    /// <summary>Adds stored sums of <see cref="Realize"/> back (start-up restore).</summary>
    public void RestoreRealized(long rows, double expected, long correct)
    {
        _realizedRows += rows;
        _realizedExpected += expected;
        _realizedCorrect += correct;
    }

    /// <summary>Adds (sign +1) or takes away (−1) the distribution rows of a response still waiting for its truth.</summary>
    public void Pending(DecodedResponse response, int sign)
    {
        if (response.Scores is not { } scores)
        {
            return;
        }

        for (var r = 0; r < scores.Count; r++)
        {
            if (scores.IsDistribution(r))
            {
                var confidence = Max(scores.Row(r));
                var bin = CalibrationBins.Of(confidence);
                _pendingRows[bin] += sign;
                _pendingConfidence[bin] += sign * confidence;
            }
        }
    }

    /// <summary>Adds (+1) or takes away (−1) the distribution rows of a joined request to the reliability table.</summary>
    public void Joined(DecodedFeedback feedback, int sign)
    {
        if (feedback.Scores is not { } scores)
        {
            return;
        }

        for (var r = 0; r < scores.Count; r++)
        {
            if (scores.IsDistribution(r))
            {
                var bin = CalibrationBins.Of(Max(scores.Row(r)));
                _joinedRows[bin] += sign;
                if (feedback.Rows[r].Truth == feedback.Rows[r].Predicted)
                {
                    _joinedCorrect[bin] += sign;
                }
            }
        }
    }

    /// <summary>Copies of the pending rows' sums (rows, summed top probability, per bin), kept with the deployment's counts (<see cref="JoinHeld"/>).</summary>
    public (long[] Rows, double[] Confidence) PendingSums() => ([.. _pendingRows], [.. _pendingConfidence]);

    /// <summary>Puts stored pending sums back (counts loaded without counting every pending response again).</summary>
    public void RestorePending(IReadOnlyList<long> rows, IReadOnlyList<double> confidence)
    {
        if (rows.Count != CalibrationBins.Count || confidence.Count != CalibrationBins.Count)
        {
            throw new ArgumentException($"Pending sums have {CalibrationBins.Count} bins.", nameof(rows));
        }

        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            _pendingRows[b] = rows[b];
            _pendingConfidence[b] = confidence[b];
        }
    }

    public AccuracyEstimator Copy()
    {
        var copy = new AccuracyEstimator();
        _joinedRows.CopyTo(copy._joinedRows, 0);
        _joinedCorrect.CopyTo(copy._joinedCorrect, 0);
        _pendingRows.CopyTo(copy._pendingRows, 0);
        _pendingConfidence.CopyTo(copy._pendingConfidence, 0);
        copy._realizedRows = _realizedRows;
        copy._realizedCorrect = _realizedCorrect;
        copy._realizedExpected = _realizedExpected;
        return copy;
    }

    /// <summary>Copies of the reliability table of the joined rows (rows, rows right, per bin), for a store to keep.</summary>
    public (long[] Rows, long[] Correct) Reliability() => ([.. _joinedRows], [.. _joinedCorrect]);

    /// <summary>Adds a stored reliability table back (start-up restore); pending rows come back with their responses.</summary>
    public void RestoreReliability(IReadOnlyList<long> rows, IReadOnlyList<long> correct)
    {
        if (rows.Count != CalibrationBins.Count || correct.Count != CalibrationBins.Count)
        {
            throw new ArgumentException($"A reliability table has {CalibrationBins.Count} bins.", nameof(rows));
        }

        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            _joinedRows[b] += rows[b];
            _joinedCorrect[b] += correct[b];
        }
    }

    public EstimatedAccuracy Estimate()
    {
        long pending = 0, joined = 0, calibrated = 0;
        double expectedCorrect = 0;
        for (var b = 0; b < CalibrationBins.Count; b++)
        {
            pending += _pendingRows[b];
            joined += _joinedRows[b];
            if (_joinedRows[b] > 0)
            {
                calibrated += _pendingRows[b];
                expectedCorrect += _pendingRows[b] * (_joinedCorrect[b] / (double)_joinedRows[b]);
            }
            else
            {
                expectedCorrect += _pendingConfidence[b];
            }
        }

        var realized = new RealizedEstimate(
            _realizedRows,
            _realizedRows == 0 ? null : _realizedExpected / _realizedRows,
            _realizedRows == 0 ? null : _realizedCorrect / (double)_realizedRows);
        return new EstimatedAccuracy(pending == 0 ? null : expectedCorrect / pending, pending, calibrated, joined) { Realized = realized };
    }

    private static double Max(ReadOnlySpan<double> row)
    {
        var max = row[0];
        foreach (var p in row)
        {
            max = Math.Max(max, p);
        }

        return max;
    }
}
