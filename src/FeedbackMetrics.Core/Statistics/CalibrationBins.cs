namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// The 10 equal-width bins of the top probability that the expected calibration error and the reliability table use
/// (Guo et al. 2017, "On calibration of modern neural networks"): bin m holds confidences in ((m−1)/10, m/10], the first
/// also 0. Their counts are the confidence histogram.
/// </summary>
public static class CalibrationBins
{
    public const int Count = 10;

    /// <summary>The lower edge of a bin.</summary>
    public static double Low(int bin) => bin / (double)Count;

    /// <summary>The upper edge of a bin.</summary>
    public static double High(int bin) => (bin + 1) / (double)Count;

    /// <summary>The bin of a confidence in [0, 1], comparing with the edges themselves so that 0.3 lands in (0.2, 0.3].</summary>
    public static int Of(double confidence)
    {
        // confidence * 10 can round across an edge (0.3 * 10 = 3.0000000000000004), so the guess is checked both ways.
        var bin = (int)Math.Ceiling(confidence * Count) - 1;
        bin = Math.Clamp(bin, 0, Count - 1);
        if (bin > 0 && confidence <= High(bin - 1))
        {
            bin--;
        }
        else if (bin < Count - 1 && confidence > High(bin))
        {
            bin++;
        }

        return bin;
    }
}
