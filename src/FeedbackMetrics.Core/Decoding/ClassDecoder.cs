using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Core.Decoding;

/// <summary>Turns the truth and response tensors of one event into (truth, prediction) rows.</summary>
public abstract class ClassDecoder
{
    /// <summary>Seldon's <c>--storage_uri</c> values, and the decoder each names.</summary>
    public static readonly IReadOnlyDictionary<string, DecoderKind> StorageUris = new Dictionary<string, DecoderKind>
    {
        ["adserver.cm_models.multiclass_one_hot.MulticlassOneHot"] = DecoderKind.MulticlassOneHot,
        ["adserver.cm_models.multiclass_numeric.MultiClassNumeric"] = DecoderKind.MultiClassNumeric,
        ["adserver.cm_models.binary_metrics.BinaryMetrics"] = DecoderKind.BinaryMetrics,
    };

    protected ClassDecoder(int maxClasses) => MaxClasses = maxClasses;

    public abstract DecoderKind Kind { get; }

    /// <summary>Largest number of classes one key may hold; a class index at or past it is refused.</summary>
    public int MaxClasses { get; }

    public static ClassDecoder Create(DecoderKind kind, int maxClasses, double binaryThreshold) => kind switch
    {
        DecoderKind.MulticlassOneHot => new OneHotDecoder(maxClasses),
        DecoderKind.MultiClassNumeric => new NumericDecoder(maxClasses),
        DecoderKind.BinaryMetrics => new BinaryDecoder(binaryThreshold),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public DecodedFeedback Decode(FeedbackPayload payload)
    {
        var truth = DecodeSide(payload.Truth, "truth", out var truthWidth);
        var predicted = DecodeSide(payload.Response, "response", out var responseWidth);
        if (truth.Length != predicted.Length)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, $"truth has {truth.Length} rows but response has {predicted.Length}; every response row needs its truth.");
        }

        var rows = new Observation[truth.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = new Observation(truth[i], predicted[i]);
        }

        return new DecodedFeedback(rows, Math.Max(truthWidth, responseWidth));
    }

    /// <summary>Decodes one side into a class per row; <paramref name="width"/> is the number of classes it declares, or 0.</summary>
    protected abstract ClassLabel[] DecodeSide(Tensor tensor, string side, out int width);

    protected ClassLabel CheckedIndex(double value, string side)
    {
        if (value < 0 || value != Math.Floor(value))
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, $"{side} holds {value}, which is not a class index (a non-negative integer).");
        }

        if (value >= MaxClasses)
        {
            throw new InvalidFeedbackException(RejectionKind.LimitExceeded, $"{side} names class {value}; at most {MaxClasses} classes are kept per model (--max_classes).");
        }

        return ClassLabel.OfIndex((int)value);
    }

    protected static InvalidFeedbackException Malformed(string reason) => new(RejectionKind.Malformed, reason);
}
