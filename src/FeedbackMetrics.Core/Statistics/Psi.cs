namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// The population stability index of one class distribution against another:
/// PSI = Σ_i (a_i − e_i) · ln(a_i / e_i), with a the actual (window) and e the expected (cumulative) proportions.
/// Rules of thumb read below 0.1 as stable, 0.1–0.25 as a moderate shift and above 0.25 as a large one.
/// </summary>
public static class Psi
{
    /// <summary>
    /// A proportion below this counts as this (on both sides) so an empty class does not make the index infinite.
    /// 1e-4 is the value common PSI implementations use: a class at 10 % on one side and empty on the other then
    /// adds about 0.1 · ln(1000) ≈ 0.69, clearly a shift yet finite and comparable between windows.
    /// </summary>
    public const double Epsilon = 1e-4;

    /// <summary>The index of the class counts <paramref name="actual"/> against <paramref name="expected"/>; null when either has no rows.</summary>
    public static double? Between(ReadOnlySpan<long> actual, ReadOnlySpan<long> expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"Both distributions need the same classes: {actual.Length} against {expected.Length}.", nameof(expected));
        }

        long actualTotal = 0, expectedTotal = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            actualTotal += actual[i];
            expectedTotal += expected[i];
        }

        if (actualTotal <= 0 || expectedTotal <= 0)
        {
            return null;
        }

        double psi = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var a = Math.Max(actual[i] / (double)actualTotal, Epsilon);
            var e = Math.Max(expected[i] / (double)expectedTotal, Epsilon);
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }
}
