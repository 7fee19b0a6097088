using System.Text.Json;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>
/// One incoming CloudEvent as the sender wrote it: <c>source</c> and every other attribute kept as text,
/// byte-for-byte (a URI-reference such as the Seldon executor's <c>http://:8000/</c> is not normalised),
/// and the data as JSON.
/// </summary>
public sealed class IncomingEvent
{
    public required string SpecVersion { get; init; }

    public required string Id { get; init; }

    public required string Source { get; init; }

    public required string Type { get; init; }

    public string? Time { get; init; }

    public string? DataContentType { get; init; }

    /// <summary>Optional attributes and extensions (<c>subject</c>, <c>dataschema</c>, <c>requestid</c>, …) by lower-case name.</summary>
    public required IReadOnlyDictionary<string, string> Attributes { get; init; }

    /// <summary>
    /// The data as JSON; null when the event carries none, or data that is not JSON. With <see cref="DataNotJson"/> set
    /// it may still hold the body, when a binary-mode body labelled with another media type parses as JSON (the KServe
    /// agent's logged responses); only the join reads it then.
    /// </summary>
    public JsonElement? Data { get; init; }

    /// <summary>
    /// Set when the event carries data of a media type that is not JSON: refused (415) for an event the server
    /// counts, while an event it only acknowledges is not refused for its data (the KServe agent labels its
    /// logged events with the request's content type, e.g. a form type on a JSON body).
    /// </summary>
    public string? DataNotJson { get; init; }

    /// <summary>An optional attribute or extension; an empty value (KServe sends <c>Ce-Endpoint:</c> empty) counts as absent.</summary>
    public string? Attribute(string name) =>
        Attributes.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    public override string ToString() => $"{Source}#{Id} ({Type})";
}
