namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// The Wilson score interval for a binomial proportion (Wilson 1927; Brown, Cai and DasGupta 2001 recommend it over
/// the normal approximation because it keeps its coverage near 0 and 1 and never leaves [0, 1]).
/// </summary>
public static class Wilson
{
    /// <summary>The 97.5 % quantile of the standard normal distribution: a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// The interval (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n) with p = successes / trials. With no trials
    /// nothing is known, so the whole of [0, 1] is returned.
    /// </summary>
    public static Interval Interval(long successes, long trials, double z = Z95)
    {
        if (successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"Successes must lie between 0 and the {trials} trials.");
        }

        if (trials == 0)
        {
            return new Interval(0, 1);
        }

        double n = trials;
        var p = successes / n;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var centre = (p + (z2 / (2 * n))) / denominator;
        var half = z / denominator * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n)));

        // At 0 and at n successes one end is exactly 0 or 1; rounding would leave it a hair off.
        var low = successes == 0 ? 0 : Math.Max(0, centre - half);
        var high = successes == trials ? 1 : Math.Min(1, centre + half);
        return new Interval(low, high);
    }
}
