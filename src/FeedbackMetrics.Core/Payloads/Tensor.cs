namespace FeedbackMetrics.Core.Payloads;

/// <summary>
/// One side of a feedback (truth or response) as it arrived: a scalar, a vector or a matrix of either
/// numbers or strings, stored flat in row-major order. Decoders give the shape its meaning.
/// </summary>
public sealed class Tensor
{
    private Tensor(int rank, int length0, int length1, double[]? numbers, string[]? strings, bool batchFirst)
    {
        BatchFirst = batchFirst;
        Rank = rank;
        Length0 = length0;
        Length1 = length1;
        Numbers = numbers;
        Strings = strings;
    }

    /// <summary>
    /// True when the payload's own shape says the first dimension is the batch (KServe <c>predictions</c> and
    /// <c>instances</c> lists, a declared <c>shape</c>): a vector is then one value per row. False for Seldon's
    /// 1-D <c>ndarray</c>, which Seldon's decoders read as one score vector or as one class per element.
    /// </summary>
    public bool BatchFirst { get; }

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

    /// <summary>
    /// The names of the columns a Seldon message gives in <c>data.names</c> (feature names on a request, class names on
    /// a response: Seldon's Python wrapper writes the model's <c>class_names()</c>, or <c>t:0</c>, <c>t:1</c>, … when it
    /// has none); null when the message has none.
    /// </summary>
    public IReadOnlyList<string>? Names { get; private init; }

    /// <summary>This tensor with the column names its message gave.</summary>
    public Tensor Named(IReadOnlyList<string>? names) =>
        names is null ? this : new(Rank, Length0, Length1, Numbers, Strings, BatchFirst) { Names = names };

    public static Tensor OfNumbers(int rank, int length0, int length1, double[] values, bool batchFirst = false) =>
        new(rank, length0, length1, values, null, batchFirst);

    public static Tensor OfStrings(int rank, int length0, int length1, string[] values, bool batchFirst = false) =>
        new(rank, length0, length1, null, values, batchFirst);
}
