using System.Text.Json;

namespace FeedbackMetrics.Core.Payloads;

/// <summary>Collects the values of a JSON array tree (up to two levels) and checks it is rectangular and of one kind.</summary>
internal sealed class TensorBuilder(string side, bool batchFirst = false)
{
    private readonly List<double> _numbers = [];
    private readonly List<string> _strings = [];

    /// <summary>Reads a nested array; <paramref name="batchFirst"/> when the sender's format makes its first dimension the batch.</summary>
    public static Tensor FromNdarray(JsonElement element, string side, bool batchFirst = false)
    {
        var builder = new TensorBuilder(side, batchFirst);
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                return builder.FromArray(element);
            default:
                builder.AddValue(element);
                return builder.Build(0, 1, 1);
        }
    }

    /// <summary>Reads values listed flat (or nested, row-major) and shapes them as the declared shape says.</summary>
    public static Tensor FromFlat(JsonElement values, IReadOnlyList<long> shape, string side)
    {
        var builder = new TensorBuilder(side, batchFirst: true);
        builder.AddFlattened(values, depth: 0);
        return builder.Shape(shape);
    }

    public void AddValue(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                if (!value.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    throw Malformed($"{side} holds a number that is not finite: {value.GetRawText()}.");
                }

                _numbers.Add(number);
                break;
            case JsonValueKind.True:
                _numbers.Add(1);
                break;
            case JsonValueKind.False:
                _numbers.Add(0);
                break;
            case JsonValueKind.String:
                _strings.Add(value.GetString()!);
                break;
            case JsonValueKind.Null:
                throw Malformed($"{side} holds a null value.");
            default:
                throw Malformed($"{side} holds a {value.ValueKind} where a number or a string was expected.");
        }

        if (_numbers.Count > 0 && _strings.Count > 0)
        {
            throw Malformed($"{side} mixes numbers and strings.");
        }
    }

    public void AddNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw Malformed($"{side} holds a number that is not finite.");
        }

        _numbers.Add(value);
    }

    public void AddString(string value) => _strings.Add(value);

    public Tensor Shape(IReadOnlyList<long> shape)
    {
        var count = _numbers.Count + _strings.Count;
        long declared = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw Malformed($"{side} declares a negative dimension ({dim}).");
            }

            declared = checked(declared * Math.Min(dim, int.MaxValue));
        }

        if (declared != count)
        {
            throw Malformed($"{side} declares shape [{string.Join(",", shape)}] ({declared} values) but holds {count} values.");
        }

        if (count == 0)
        {
            throw Malformed($"{side} is empty.");
        }

        return shape.Count switch
        {
            0 => Build(0, 1, 1),
            1 => Build(1, (int)shape[0], 1),
            2 => Build(2, (int)shape[0], (int)shape[1]),
            _ => throw Malformed($"{side} has {shape.Count} dimensions; at most 2 (rows x classes) are understood."),
        };
    }

    private Tensor FromArray(JsonElement array)
    {
        var rows = array.GetArrayLength();
        if (rows == 0)
        {
            throw Malformed($"{side} is an empty array.");
        }

        if (TryNumericMatrix(array, rows) is { } numeric)
        {
            return numeric;
        }

        if (array[0].ValueKind != JsonValueKind.Array)
        {
            foreach (var value in array.EnumerateArray())
            {
                if (value.ValueKind == JsonValueKind.Array)
                {
                    throw Malformed($"{side} mixes arrays and values at the same level.");
                }

                AddValue(value);
            }

            return Build(1, rows, 1);
        }

        var columns = -1;
        foreach (var row in array.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array)
            {
                throw Malformed($"{side} mixes arrays and values at the same level.");
            }

            var length = row.GetArrayLength();
            if (columns < 0)
            {
                columns = length;
            }
            else if (length != columns)
            {
                throw Malformed($"{side} has rows of different lengths ({columns} and {length}).");
            }

            foreach (var value in row.EnumerateArray())
            {
                if (value.ValueKind == JsonValueKind.Array)
                {
                    throw Malformed($"{side} has more than 2 dimensions; at most 2 (rows x classes) are understood.");
                }

                AddValue(value);
            }
        }

        if (columns == 0)
        {
            throw Malformed($"{side} has empty rows.");
        }

        return Build(2, rows, columns);
    }

    /// <summary>
    /// The common case, read without intermediate lists: a vector or a rectangular matrix of plain numbers,
    /// written straight into one pre-sized array. Anything else (strings, booleans, ragged or deeper arrays)
    /// returns null and takes the general path, which also words the errors.
    /// </summary>
    private Tensor? TryNumericMatrix(JsonElement array, int rows)
    {
        var first = array[0];
        var matrix = first.ValueKind == JsonValueKind.Array;
        var columns = matrix ? first.GetArrayLength() : 1;
        if (columns == 0 || (long)rows * columns > int.MaxValue)
        {
            return null;
        }

        var values = new double[rows * columns];
        var i = 0;
        foreach (var row in array.EnumerateArray())
        {
            if (!matrix)
            {
                if (!TryFinite(row, out values[i++]))
                {
                    return null;
                }

                continue;
            }

            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != columns)
            {
                return null;
            }

            foreach (var value in row.EnumerateArray())
            {
                if (!TryFinite(value, out values[i++]))
                {
                    return null;
                }
            }
        }

        return Tensor.OfNumbers(matrix ? 2 : 1, rows, columns, values, batchFirst);
    }

    private static bool TryFinite(JsonElement value, out double number)
    {
        number = 0;
        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out number) && double.IsFinite(number);
    }

    private void AddFlattened(JsonElement element, int depth)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            AddValue(element);
            return;
        }

        if (depth > 8)
        {
            throw Malformed($"{side} is nested too deeply.");
        }

        foreach (var item in element.EnumerateArray())
        {
            AddFlattened(item, depth + 1);
        }
    }

    private Tensor Build(int rank, int length0, int length1) =>
        _strings.Count > 0
            ? Tensor.OfStrings(rank, length0, length1, [.. _strings], batchFirst)
            : Tensor.OfNumbers(rank, length0, length1, [.. _numbers], batchFirst);

    private InvalidFeedbackException Malformed(string reason) => new(RejectionKind.Malformed, reason);
}
