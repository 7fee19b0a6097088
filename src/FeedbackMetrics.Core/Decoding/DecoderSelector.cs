using System.Globalization;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// Which decoder reads a deployment's events: the default (<c>--storage_uri</c>), or a per-deployment override
/// written <c>NAMESPACE/DEPLOYMENT=DECODER[:THRESHOLD]</c> (<c>*</c> for any namespace), where DECODER is a
/// <c>--storage_uri</c> value or its class name (<c>BinaryMetrics</c>, <c>MulticlassOneHot</c>, <c>MultiClassNumeric</c>).
/// One server then holds deployments whose models answer differently.
/// </summary>
public sealed class DecoderSelector
{
    private readonly Dictionary<(string Namespace, string Deployment), ClassDecoder> _overrides = [];

    public DecoderSelector(ClassDecoder fallback, int maxClasses, IEnumerable<string> overrides)
    {
        Default = fallback;
        foreach (var text in overrides)
        {
            var (target, decoder) = Parse(text, fallback.Threshold, maxClasses);
            if (!_overrides.TryAdd(target, decoder))
            {
                throw new FormatException($"'{text}' names {target.Namespace}/{target.Deployment} a second time");
            }
        }
    }

    public ClassDecoder Default { get; }

    public int OverrideCount => _overrides.Count;

    public ClassDecoder For(MetricKey key) =>
        _overrides.Count == 0 ? Default
        : _overrides.TryGetValue((key.Namespace, key.Deployment), out var exact) ? exact
        : _overrides.TryGetValue(("*", key.Deployment), out var any) ? any
        : Default;

    /// <summary>Resolves a decoder name: a Seldon <c>--storage_uri</c> or the class name it ends with.</summary>
    public static DecoderKind? KindOf(string name)
    {
        foreach (var (uri, kind) in ClassDecoder.StorageUris)
        {
            if (uri == name || uri.EndsWith("." + name, StringComparison.Ordinal))
            {
                return kind;
            }
        }

        return null;
    }

    private static ((string Namespace, string Deployment) Target, ClassDecoder Decoder) Parse(string text, double defaultThreshold, int maxClasses)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var slash = eq < 0 ? -1 : text.LastIndexOf('/', eq);
        if (eq < 0 || slash <= 0 || slash == eq - 1)
        {
            throw new FormatException($"'{text}' is not NAMESPACE/DEPLOYMENT=DECODER[:THRESHOLD]");
        }

        var spec = text[(eq + 1)..];
        var threshold = defaultThreshold;
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!double.TryParse(spec[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out threshold) || !(threshold > 0 && threshold < 1))
            {
                throw new FormatException($"the threshold of '{text}' is not a number strictly between 0 and 1");
            }

            spec = spec[..colon];
        }

        var kind = KindOf(spec) ?? throw new FormatException($"unknown decoder '{spec}' in '{text}'");
        return ((text[..slash], text[(slash + 1)..eq]), new ClassDecoder(kind, maxClasses, threshold));
    }
}
