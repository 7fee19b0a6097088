using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Options;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>
/// Reads an event's segment values (<c>--segment_by</c>): a name is a CloudEvent extension attribute
/// (<c>region</c> ← <c>ce-region</c>), <c>tags.KEY</c>, Seldon's <c>meta.tags.KEY</c> of the messages the event
/// carries (the response's first, then the truth's), or <c>metadata.HEADER</c>, the first value of a request header the
/// KServe agent passes in its <c>metadata</c> extension (the headers its logger allow-lists). A string is taken as it is, a number or a boolean as its JSON
/// text; an absent or null value leaves the event out of that name's segments (for <c>metadata.HEADER</c> also a header
/// the agent's JSON gives no string value). A value that cannot be a segment (an object or array, an empty string, a
/// control character, more than <see cref="MaxValueLength"/> characters) refuses the event.
/// </summary>
public sealed class SegmentReader(SegmentOptions options)
{
    /// <summary>Longest segment value: values become Prometheus label values and JSON keys.</summary>
    public const int MaxValueLength = 128;

    private readonly string[] _names = options.By;

    public bool IsEmpty => _names.Length == 0;

    /// <summary>The event's values, in the configured order of their names, from its attributes and the Seldon messages it carries (<paramref name="first"/>'s tags win).</summary>
    public IReadOnlyList<SegmentValue> Read(IncomingEvent cloudEvent, JsonElement? first, JsonElement? second = null)
    {
        if (_names.Length == 0)
        {
            return [];
        }

        List<SegmentValue>? values = null;
        foreach (var name in _names)
        {
            var value = name.StartsWith(SegmentOptions.TagPrefix, StringComparison.Ordinal) ? Tag(name, first) ?? Tag(name, second)
                : name.StartsWith(SegmentOptions.MetadataPrefix, StringComparison.Ordinal) ? RequestIds.MetadataHeader(cloudEvent.Attribute("metadata"), name[SegmentOptions.MetadataPrefix.Length..])
                : cloudEvent.Attribute(name);
            if (value is null)
            {
                continue;
            }

            if (value.Length == 0 || value.Length > MaxValueLength)
            {
                throw new InvalidFeedbackException(
                    RejectionKind.Malformed,
                    $"Segment '{name}' has {(value.Length == 0 ? "an empty value" : $"a value of {value.Length} characters")}; a segment value (--segment_by) is 1 to {MaxValueLength} characters.");
            }

            // Values become Prometheus label values and JSON keys: no control characters, as for identities and classes.
            LabelRules.Check($"Segment '{name}'", value);
            (values ??= new List<SegmentValue>(_names.Length)).Add(new SegmentValue(name, value));
        }

        return values ?? (IReadOnlyList<SegmentValue>)[];
    }

    private static string? Tag(string name, JsonElement? message)
    {
        if (message is not { ValueKind: JsonValueKind.Object } m
            || !m.TryGetProperty("meta", out var meta) || meta.ValueKind != JsonValueKind.Object
            || !meta.TryGetProperty("tags", out var tags) || tags.ValueKind != JsonValueKind.Object
            || !tags.TryGetProperty(name.AsSpan(SegmentOptions.TagPrefix.Length), out var tag))
        {
            return null;
        }

        return tag.ValueKind switch
        {
            JsonValueKind.String => tag.GetString(),
            JsonValueKind.Number => tag.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => null,
            _ => throw new InvalidFeedbackException(
                RejectionKind.Malformed,
                $"Segment '{name}' is a JSON {tag.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture)} in meta.tags; a segment value (--segment_by) is a string, a number or a boolean."),
        };
    }
}
