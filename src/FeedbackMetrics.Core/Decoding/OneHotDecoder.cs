using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// One-hot or probability vectors: the class is the index of the largest value, the first one on ties
/// (as Python's <c>max(enumerate(v))</c> in Seldon's server). Vectors need not sum to 1; negative scores are fine.
/// </summary>
public sealed class OneHotDecoder(int maxClasses) : ClassDecoder(maxClasses)
{
    public override DecoderKind Kind => DecoderKind.MulticlassOneHot;

    protected override ClassLabel[] DecodeSide(Tensor tensor, string side, out int width)
    {
        if (tensor.Numbers is not { } values)
        {
            throw Malformed($"{side} holds strings; the one-hot decoder needs numeric score vectors.");
        }

        if (tensor.Rank == 0)
        {
            throw Malformed($"{side} is a scalar; the one-hot decoder needs a score vector per row (or use --storage_uri adserver.cm_models.multiclass_numeric.MultiClassNumeric).");
        }

        var (rows, columns) = tensor.Rank == 1 ? (1, tensor.Length0) : (tensor.Length0, tensor.Length1);
        if (columns > MaxClasses)
        {
            throw new InvalidFeedbackException(RejectionKind.LimitExceeded, $"{side} has {columns} classes per row; at most {MaxClasses} are kept per model (--max_classes).");
        }

        width = columns;
        var labels = new ClassLabel[rows];
        for (var r = 0; r < rows; r++)
        {
            labels[r] = ClassLabel.OfIndex(ArgMax(values.AsSpan(r * columns, columns)));
        }

        return labels;
    }

    private static int ArgMax(ReadOnlySpan<double> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }

        return best;
    }
}
