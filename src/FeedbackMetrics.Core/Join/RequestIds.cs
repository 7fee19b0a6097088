using System.Text.Json;

namespace FeedbackMetrics.Core.Join;

/// <summary>
/// Finds the request id that joins a logged response to its later truth (DESIGN.md, "Response events and the join"):
/// of a response, the <c>requestid</c> extension, else <c>X-Request-Id</c> in the JSON of the <c>metadata</c>
/// extension (KServe's allow-listed headers), else the event id (the KServe agent gives a request and its response
/// one <c>ce-id</c>); of a truth-only feedback, the <c>requestid</c> extension, else <c>meta.puid</c> of the body,
/// else of its <c>truth</c>. Empty values count as absent, as they do for every extension.
/// </summary>
public static class RequestIds
{
    /// <summary>Longest request id accepted; a longer one is refused rather than cut, as the join keeps it.</summary>
    public const int MaxLength = 256;

    /// <summary>The header KServe's agent copies into <c>metadata</c> when it is allow-listed.</summary>
    public const string RequestIdHeader = "X-Request-Id";

    /// <summary>The request id of a response event.</summary>
    public static string OfResponse(string? requestIdExtension, string? metadataExtension, string eventId)
    {
        var id = NonEmpty(requestIdExtension) ?? FromMetadata(metadataExtension) ?? NonEmpty(eventId)
            ?? throw Malformed("The response event has no requestid extension, no X-Request-Id in its metadata and no id to join its truth by.");
        return Checked(id, "the response's request id");
    }

    /// <summary>The request id of a truth-only feedback event; refused when it carries none.</summary>
    public static string OfTruth(string? requestIdExtension, JsonElement body)
    {
        var id = NonEmpty(requestIdExtension)
            ?? Puid(body)
            ?? (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("truth", out var truth) ? Puid(truth) : null)
            ?? throw Malformed("The feedback has a truth and no response, and no request id to join it to a logged response by: send the requestid extension or meta.puid.");
        return Checked(id, "the feedback's request id");
    }

    /// <summary>
    /// The first value of <c>X-Request-Id</c> in KServe's <c>metadata</c> extension (<see cref="MetadataHeader"/>); null
    /// when there is none: the event id is the request id then.
    /// </summary>
    public static string? FromMetadata(string? metadata) => MetadataHeader(metadata, RequestIdHeader);

    /// <summary>
    /// The first value of a request header (name matched case-insensitively) in the JSON of the KServe agent's
    /// <c>metadata</c> extension, the allow-listed request headers: <c>{"X-Request-Id":["abc"]}</c>; a bare string value
    /// is taken too. Null when the extension is absent, is not a JSON object, or has no such header with a value.
    /// </summary>
    public static string? MetadataHeader(string? metadata, string name)
    {
        if (string.IsNullOrEmpty(metadata))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(metadata);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var header in document.RootElement.EnumerateObject())
            {
                if (!header.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var value = header.Value.ValueKind switch
                {
                    JsonValueKind.String => header.Value.GetString(),
                    JsonValueKind.Array when header.Value.GetArrayLength() > 0 && header.Value[0].ValueKind == JsonValueKind.String => header.Value[0].GetString(),
                    _ => null,
                };
                if (NonEmpty(value) is { } found)
                {
                    return found;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: KServe always writes JSON here, so another sender's metadata simply names no header.
        }

        return null;
    }

    private static string? Puid(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object
        && message.TryGetProperty("meta", out var meta)
        && meta.ValueKind == JsonValueKind.Object
        && meta.TryGetProperty("puid", out var puid)
        && puid.ValueKind == JsonValueKind.String
            ? NonEmpty(puid.GetString())
            : null;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Checked(string id, string what) =>
        id.Length <= MaxLength ? id : throw Malformed($"{what} is {id.Length} characters long; at most {MaxLength} are accepted.");

    private static InvalidFeedbackException Malformed(string reason) => new(RejectionKind.Malformed, reason);
}
