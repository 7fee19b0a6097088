using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>How feedback payloads become classes, and which event types are feedback.</summary>
public sealed class DecodingOptions
{
    public const string Section = "FeedbackMetrics:Decoding";

    public string StorageUri { get; set; } = "adserver.cm_models.multiclass_one_hot.MulticlassOneHot";

    [Range(double.Epsilon, 0.9999999)]
    public double BinaryThreshold { get; set; } = 0.5;

    [MinLength(1)]
    public string[] FeedbackTypes { get; set; } = ["io.seldon.serving.feedback"];
}
