using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace FeedbackMetrics.Server.Options;

/// <summary>
/// Segments (<c>--segment_by</c>): the event attributes each model's figures are also kept per value of, and how many
/// values of one name a model keeps (<c>--max_segment_values</c>) before the rest fold into <c>other</c>.
/// </summary>
public sealed partial class SegmentOptions
{
    public const string Section = "FeedbackMetrics:Segments";

    /// <summary>The start of a name read from Seldon's <c>meta.tags</c> rather than from a CloudEvent extension.</summary>
    public const string TagPrefix = "tags.";

    /// <summary>The start of a name read from a request header the KServe agent passes in its <c>metadata</c> extension.</summary>
    public const string MetadataPrefix = "metadata.";

    /// <summary>Segment names, each a CloudEvent extension attribute, <c>tags.KEY</c> or <c>metadata.HEADER</c>; none when empty.</summary>
    public string[] By { get; set; } = [];

    /// <summary>Each value costs about what a model costs (docs/segments.md), so the bound stays small.</summary>
    [Range(1, 100)]
    public int MaxValues { get; set; } = 20;

    /// <summary>What is wrong with the names, or null: each a CloudEvents extension name, tags.KEY or metadata.HEADER, none twice.</summary>
    public string? NamesError()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in By)
        {
            if (!IsName(name))
            {
                return $"'{name}' is not a segment name";
            }

            if (!seen.Add(name))
            {
                return $"'{name}' is named twice";
            }
        }

        return null;
    }

    private static bool IsName(string name) =>
        name.StartsWith(TagPrefix, StringComparison.Ordinal) ? IsKey(name[TagPrefix.Length..])
        : name.StartsWith(MetadataPrefix, StringComparison.Ordinal) ? IsKey(name[MetadataPrefix.Length..])
        : ExtensionName().IsMatch(name) && !ContextAttributes.Contains(name);

    private static bool IsKey(string key) => key.Length is > 0 and <= 64 && !key.Any(c => char.IsControl(c) || char.IsWhiteSpace(c));

    /// <summary>The CloudEvents attributes that are not extensions: a segment of them would say nothing of the model's users.</summary>
    private static readonly HashSet<string> ContextAttributes = ["id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time", "data"];

    /// <summary>A CloudEvents attribute name: lower-case letters and digits (the spec asks for at most 20 of them).</summary>
    [GeneratedRegex("^[a-z0-9]{1,20}$")]
    private static partial Regex ExtensionName();
}
