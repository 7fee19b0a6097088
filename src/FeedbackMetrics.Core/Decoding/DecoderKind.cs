namespace FeedbackMetrics.Core.Decoding;

/// <summary>The three model classes of Seldon's metrics server, named by <c>--storage_uri</c>.</summary>
public enum DecoderKind
{
    /// <summary><c>adserver.cm_models.multiclass_one_hot.MulticlassOneHot</c>: one-hot or probability vectors, argmax.</summary>
    MulticlassOneHot,

    /// <summary><c>adserver.cm_models.multiclass_numeric.MultiClassNumeric</c>: a class index (or string label) per row.</summary>
    MultiClassNumeric,

    /// <summary><c>adserver.cm_models.binary_metrics.BinaryMetrics</c>: 0/1, or a probability against a threshold.</summary>
    BinaryMetrics,
}
