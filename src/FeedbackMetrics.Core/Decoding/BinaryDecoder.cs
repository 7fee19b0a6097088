using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// Two classes: 0/1 (or false/true), a probability of the positive class compared with a threshold
/// (at or above it is positive), or a two-column [p0, p1] vector per row (argmax).
/// </summary>
public sealed class BinaryDecoder : ClassDecoder
{
    public BinaryDecoder(double threshold)
        : base(2)
    {
        if (!(threshold > 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The binary threshold must lie strictly between 0 and 1.");
        }

        Threshold = threshold;
    }

    public double Threshold { get; }

    public override DecoderKind Kind => DecoderKind.BinaryMetrics;

    protected override ClassLabel[] DecodeSide(Tensor tensor, string side, out int width)
    {
        width = 2;
        if (tensor.Numbers is not { } values)
        {
            throw Malformed($"{side} holds strings; the binary decoder needs 0/1 or a probability.");
        }

        if (tensor.Rank == 2 && tensor.Length1 == 2)
        {
            var pairs = new ClassLabel[tensor.Length0];
            for (var r = 0; r < pairs.Length; r++)
            {
                pairs[r] = ClassLabel.OfIndex(values[(2 * r) + 1] > values[2 * r] ? 1 : 0);
            }

            return pairs;
        }

        var rows = NumericDecoder.ScalarRows(tensor, side);
        var labels = new ClassLabel[rows];
        for (var i = 0; i < rows; i++)
        {
            var v = values[i];
            if (v is < 0 or > 1)
            {
                throw Malformed($"{side} holds {v}; the binary decoder needs 0, 1 or a probability between them.");
            }

            labels[i] = ClassLabel.OfIndex(v >= Threshold ? 1 : 0);
        }

        return labels;
    }
}
