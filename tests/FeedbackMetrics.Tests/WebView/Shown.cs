using System.Globalization;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>How the page writes figures, so tests can compare its text with the JSON.</summary>
internal static class Shown
{
    public static string Percent(double v, int digits = 1) => Fixed(v * 100, digits) + " %";

    public static string Ratio(double v) => Fixed(v, 3);

    public static string Count(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>The 95 % Wilson interval as the page prints it ("88.6–95.8 %").</summary>
    public static string Wilson(long n, double p)
    {
        const double z = 1.959963984540054;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var centre = (p + (z2 / (2 * n))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n))) / denominator;
        return Interval(Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    public static string Interval(double low, double high) =>
        $"{Fixed(low * 100, 1)}–{Fixed(high * 100, 1)} %";

    /// <summary>As JavaScript's toFixed: halves round away from zero (12.5 → "13"), where .NET's "F0" gives "12".</summary>
    private static string Fixed(double v, int digits) =>
        Math.Round((decimal)v, digits, MidpointRounding.AwayFromZero).ToString("F" + digits, CultureInfo.InvariantCulture);
}
