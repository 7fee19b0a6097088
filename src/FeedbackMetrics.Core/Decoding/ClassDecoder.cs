using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// Turns the truth and response tensors of one event into (truth, prediction) rows. Where the payload's shape
/// says what a row is (a matrix, a declared shape, KServe's <c>predictions</c> list) the first dimension is the
/// batch: one value per row is a class (an index or a label; for a binary model 0/1 or a probability), a vector
/// per row is scores or one-hot (argmax, the first index on ties as Python's <c>max(enumerate(v))</c>). Only
/// Seldon's ambiguous 1-D <c>ndarray</c> is read as the <see cref="DecoderKind"/> says: one score vector for
/// MulticlassOneHot, one class per element for the others.
/// </summary>
public sealed class ClassDecoder
{
    /// <summary>Seldon's <c>--storage_uri</c> values, and the decoder each names.</summary>
    public static readonly IReadOnlyDictionary<string, DecoderKind> StorageUris = new Dictionary<string, DecoderKind>
    {
        ["adserver.cm_models.multiclass_one_hot.MulticlassOneHot"] = DecoderKind.MulticlassOneHot,
        ["adserver.cm_models.multiclass_numeric.MultiClassNumeric"] = DecoderKind.MultiClassNumeric,
        ["adserver.cm_models.binary_metrics.BinaryMetrics"] = DecoderKind.BinaryMetrics,
    };

    public ClassDecoder(DecoderKind kind, int maxClasses, double binaryThreshold)
    {
        if (!(binaryThreshold > 0 && binaryThreshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(binaryThreshold), binaryThreshold, "The binary threshold must lie strictly between 0 and 1.");
        }

        Kind = kind;
        MaxClasses = kind == DecoderKind.BinaryMetrics ? 2 : maxClasses;
        Threshold = binaryThreshold;
    }

    public DecoderKind Kind { get; }

    /// <summary>True when the key counts in Seldon's binary scheme (one of TP/FP/FN/TN per row, no class label).</summary>
    public bool IsBinary => Kind == DecoderKind.BinaryMetrics;

    /// <summary>Largest number of classes one key may hold; a class index at or past it is refused.</summary>
    public int MaxClasses { get; }

    /// <summary>Binary models: a probability at or above it is the positive class.</summary>
    public double Threshold { get; }

    public DecodedFeedback Decode(FeedbackPayload payload) =>
        Combine(DecodeTruth(payload.Truth), DecodeResponse(payload.Response), payload.Reward);

    /// <summary>Decodes a response on its own (a logged response event, or the response half of a feedback).</summary>
    public DecodedResponse DecodeResponse(Tensor response)
    {
        var predicted = DecodeSide(response, "response", out var width, out var scores);
        return new DecodedResponse(predicted, width, scores) { ClassNames = scores is null ? null : ResponseClassNames.Of(response.Names, width) };
    }

    /// <summary>Decodes a truth on its own (a truth-only feedback, or the truth half of a full one).</summary>
    public DecodedTruth DecodeTruth(Tensor truth)
    {
        var classes = DecodeSide(truth, "truth", out var width, out _);
        return new DecodedTruth(classes, width);
    }

    /// <summary>
    /// Pairs a truth with a response row by row, exactly as one feedback event carrying both would be counted;
    /// refuses (<see cref="InvalidFeedbackException"/>) when their row counts differ.
    /// </summary>
    public static DecodedFeedback Combine(DecodedTruth truth, DecodedResponse response, double? reward)
    {
        if (truth.Rows.Length != response.Rows.Length)
        {
            throw Malformed($"truth has {truth.Rows.Length} rows but response has {response.Rows.Length}; every response row needs its truth.");
        }

        var rows = new Observation[truth.Rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = new Observation(truth.Rows[i], response.Rows[i]);
        }

        return new DecodedFeedback(rows, Math.Max(truth.ClassWidth, response.ClassWidth), reward, response.Scores) { ClassNames = response.ClassNames };
    }

    /// <summary>Decodes one side into a class per row; <paramref name="width"/> is the number of classes it declares, or 0.</summary>
    private ClassLabel[] DecodeSide(Tensor tensor, string side, out int width, out ScoreRows? scores)
    {
        scores = null;
        var (rows, columns) = tensor.Rank switch
        {
            0 => (1, 1),
            1 when !tensor.BatchFirst && Kind == DecoderKind.MulticlassOneHot => (1, tensor.Length0),
            1 => (tensor.Length0, 1),
            _ => (tensor.Length0, tensor.Length1),
        };
        var vectors = columns > 1 || (tensor.Rank == 1 && rows == 1 && !tensor.BatchFirst && Kind == DecoderKind.MulticlassOneHot);
        if (!vectors)
        {
            return DecodeValues(tensor, side, rows, out width);
        }

        var labels = DecodeVectors(tensor, side, rows, columns, out width);
        scores = new ScoreRows(tensor.Numbers!, columns);
        return labels;
    }

    private ClassLabel[] DecodeVectors(Tensor tensor, string side, int rows, int columns, out int width)
    {
        if (tensor.Numbers is not { } values)
        {
            throw Malformed($"{side} holds vectors of strings; a vector per row must hold numeric scores (or send one label per row).");
        }

        if (IsBinary && columns != 2)
        {
            throw Malformed($"{side} has {columns} scores per row; a binary model needs one value or a [p0, p1] pair per row.");
        }

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

    private ClassLabel[] DecodeValues(Tensor tensor, string side, int rows, out int width)
    {
        width = IsBinary ? 2 : 0;
        var labels = new ClassLabel[rows];
        if (tensor.Strings is { } strings)
        {
            if (IsBinary)
            {
                throw Malformed($"{side} holds strings; a binary model needs 0/1 or a probability per row.");
            }

            for (var i = 0; i < rows; i++)
            {
                Identity.LabelRules.Check($"{side} class label", strings[i]);
                labels[i] = ClassLabel.OfName(strings[i]);
            }

            return labels;
        }

        var numbers = tensor.Numbers!;
        for (var i = 0; i < rows; i++)
        {
            labels[i] = IsBinary ? BinaryLabel(numbers[i], side) : IndexLabel(numbers[i], side);
        }

        return labels;
    }

    private ClassLabel BinaryLabel(double value, string side) =>
        value is >= 0 and <= 1
            ? ClassLabel.OfIndex(value >= Threshold ? 1 : 0)
            : throw Malformed($"{side} holds {value}; a binary model needs 0, 1 or a probability between them.");

    private ClassLabel IndexLabel(double value, string side)
    {
        if (value < 0 || value != Math.Floor(value))
        {
            throw Malformed($"{side} holds {value}, which is not a class index (a non-negative integer); send one index per row, or a score vector per row.");
        }

        if (value >= MaxClasses)
        {
            throw new InvalidFeedbackException(RejectionKind.LimitExceeded, $"{side} names class {value}; at most {MaxClasses} classes are kept per model (--max_classes).");
        }

        return ClassLabel.OfIndex((int)value);
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

    private static InvalidFeedbackException Malformed(string reason) => new(RejectionKind.Malformed, reason);
}
