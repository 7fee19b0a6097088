namespace FeedbackMetrics.Core.Payloads;

/// <summary>
/// One side of a feedback (truth or response) as it arrived: a scalar, a vector or a matrix of either
/// numbers or strings, stored flat in row-major order. Decoders give the shape its meaning.
/// </summary>
public sealed class Tensor
{
    private Tensor(int rank, int length0, int length1, double[]? numbers, string[]? strings)
    {
        Rank = rank;
        Length0 = length0;
        Length1 = length1;
        Numbers = numbers;
        Strings = strings;
    }

    /// <summary>0 for a scalar, 1 for a vector, 2 for a matrix.</summary>
    public int Rank { get; }

    /// <summary>Elements of a vector, or rows of a matrix; 1 for a scalar.</summary>
    public int Length0 { get; }

    /// <summary>Columns of a matrix; 1 otherwise.</summary>
    public int Length1 { get; }

    /// <summary>The values when they are numbers (booleans become 0 and 1); null when they are strings.</summary>
    public double[]? Numbers { get; }

    /// <summary>The values when they are strings; null when they are numbers.</summary>
    public string[]? Strings { get; }

    public static Tensor OfNumbers(int rank, int length0, int length1, double[] values) =>
        new(rank, length0, length1, values, null);

    public static Tensor OfStrings(int rank, int length0, int length1, string[] values) =>
        new(rank, length0, length1, null, values);

    public string DescribeShape() => Rank switch
    {
        0 => "a scalar",
        1 => $"a vector of {Length0}",
        _ => $"a {Length0}x{Length1} matrix",
    };
}
