using System.ComponentModel.DataAnnotations;
using FeedbackMetrics.Core.Decoding;

namespace FeedbackMetrics.Server.Options;

/// <summary>How feedback payloads become classes, and which event types are feedback.</summary>
public sealed class DecodingOptions
{
    public const string Section = "FeedbackMetrics:Decoding";

    public string StorageUri { get; set; } = "adserver.cm_models.multiclass_one_hot.MulticlassOneHot";

    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double BinaryThreshold { get; set; } = 0.5;

    public const string SeldonFeedbackType = "io.seldon.serving.feedback";

    /// <summary>
    /// As configured; empty by default, because the configuration binder appends configured items to a
    /// non-empty default array (the default would always stay in). Read <see cref="EffectiveFeedbackTypes"/>.
    /// </summary>
    public string[] FeedbackTypes { get; set; } = [];

    /// <summary>Per-deployment decoders, <c>NAMESPACE/DEPLOYMENT=DECODER[:THRESHOLD]</c> (see <see cref="Core.Decoding.DecoderSelector"/>).</summary>
    public string[] DeploymentDecoders { get; set; } = [];

    /// <summary>The event types counted as feedback: the configured ones, else Seldon's.</summary>
    public string[] EffectiveFeedbackTypes => FeedbackTypes.Length > 0 ? FeedbackTypes : [SeldonFeedbackType];

    public static DecoderSelector CreateSelector(DecodingOptions options, int maxClasses) =>
        new(new ClassDecoder(ClassDecoder.StorageUris[options.StorageUri], maxClasses, options.BinaryThreshold), maxClasses, options.DeploymentDecoders);

    /// <summary>Why <see cref="DeploymentDecoders"/> cannot be used, or null.</summary>
    public static string? OverrideError(DecodingOptions options)
    {
        try
        {
            _ = new DecoderSelector(new ClassDecoder(DecoderKind.MulticlassOneHot, 2, 0.5), 2, options.DeploymentDecoders);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }
}
