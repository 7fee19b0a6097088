namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// The response's score vectors, one per row, as sent (row-major, <see cref="Width"/> values each): kept so
/// probabilistic figures can use the rows whose vector is a probability distribution.
/// </summary>
public sealed record ScoreRows(double[] Values, int Width)
{
    /// <summary>How far from 1 the sum of a probability vector may be.</summary>
    public const double SumTolerance = 1e-6;

    public int Count => Values.Length / Width;

    public ReadOnlySpan<double> Row(int row) => Values.AsSpan(row * Width, Width);

    /// <summary>True when the row is a probability distribution: no negative value and a sum within 1e-6 of 1.</summary>
    public bool IsDistribution(int row)
    {
        double sum = 0;
        foreach (var p in Row(row))
        {
            if (p < 0)
            {
                return false;
            }

            sum += p;
        }

        return Math.Abs(sum - 1) <= SumTolerance;
    }
}
