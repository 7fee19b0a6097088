using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// One class per row, as a non-negative integer index or a string label. A scalar is one row; a vector
/// <c>[a, b, c]</c> is three rows (a batch of predictions); a matrix must have one column.
/// </summary>
public sealed class NumericDecoder(int maxClasses) : ClassDecoder(maxClasses)
{
    public override DecoderKind Kind => DecoderKind.MultiClassNumeric;

    protected override ClassLabel[] DecodeSide(Tensor tensor, string side, out int width)
    {
        width = 0;
        var rows = ScalarRows(tensor, side);
        var labels = new ClassLabel[rows];
        if (tensor.Strings is { } strings)
        {
            for (var i = 0; i < rows; i++)
            {
                var name = strings[i];
                Identity.LabelRules.Check($"{side} class label", name);
                labels[i] = ClassLabel.OfName(name);
            }

            return labels;
        }

        var numbers = tensor.Numbers!;
        for (var i = 0; i < rows; i++)
        {
            labels[i] = CheckedIndex(numbers[i], side);
        }

        return labels;
    }

    internal static int ScalarRows(Tensor tensor, string side) =>
        tensor.Rank < 2 || tensor.Length1 == 1
            ? tensor.Length0
            : throw Malformed($"{side} is {tensor.DescribeShape()}; this decoder needs one class per row (a scalar, a vector of classes or one column).");
}
