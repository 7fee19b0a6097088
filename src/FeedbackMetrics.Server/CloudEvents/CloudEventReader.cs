using System.Buffers;
using System.Text.Json;
using FeedbackMetrics.Server.Problems;
using Microsoft.AspNetCore.Http;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>
/// The CloudEvents HTTP protocol binding for incoming requests: binary mode (<c>ce-*</c> headers), structured
/// mode (<c>application/cloudevents+json</c>) and batch mode (<c>application/cloudevents-batch+json</c>), spec 1.0
/// and 0.3. Attributes are kept as sent (see <see cref="IncomingEvent"/>); the body must be UTF-8 JSON (RFC 8259).
/// </summary>
public sealed class CloudEventReader
{
    private const string HeaderPrefix = "ce-";
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public async Task<IncomingEvents> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType;
        var body = await ReadBodyAsync(request, maxBytes, cancellationToken);
        try
        {
            return Read(request, contentType, body);
        }
        catch (InvalidOperationException e) when (e.TargetSite?.DeclaringType?.FullName == "System.Text.Json.ThrowHelper")
        {
            throw UnpairedSurrogate(e);
        }
    }

    /// <summary>The JSON reader accepts a lone <c>\ud800</c> escape but cannot turn it into a string: bad input, not a defect.</summary>
    public static RequestRejectedException UnpairedSurrogate(Exception e) =>
        AttributeRules.Bad($"The body holds a \\u escape that is not valid UTF-16 (an unpaired surrogate): {e.Message}");

    private static IncomingEvents Read(HttpRequest request, string? contentType, ReadOnlyMemory<byte> body)
    {
        var mediaType = MediaTypeOf(contentType);
        if (mediaType.StartsWith("application/cloudevents-batch", StringComparison.OrdinalIgnoreCase))
        {
            return ReadBatch(RequireJsonFormat(mediaType, contentType, body));
        }

        if (mediaType.StartsWith("application/cloudevents", StringComparison.OrdinalIgnoreCase))
        {
            var document = RequireJsonFormat(mediaType, contentType, body);
            try
            {
                return new IncomingEvents([ReadStructured(document.RootElement, "The event", [])], isBatch: false, document);
            }
            catch
            {
                document.Dispose();
                throw;
            }
        }

        return ReadBinary(request, contentType, mediaType, body);
    }

    private static IncomingEvents ReadBinary(HttpRequest request, string? contentType, string mediaType, ReadOnlyMemory<byte> body)
    {
        var builder = new EventBuilder("The event");
        var specVersion = request.Headers["ce-specversion"].ToString();
        if (specVersion.Length == 0)
        {
            throw AttributeRules.Bad($"Not a CloudEvent: no ce-specversion header, and the content type ({contentType ?? "none"}) is not application/cloudevents+json.");
        }

        builder.Set("specversion", specVersion);
        builder.CheckSpecVersion();
        foreach (var header in request.Headers)
        {
            if (header.Key.Length > HeaderPrefix.Length
                && header.Key.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase)
                && !header.Key.Equals("ce-specversion", StringComparison.OrdinalIgnoreCase))
            {
                builder.Set(header.Key[HeaderPrefix.Length..].ToLowerInvariant(), AttributeRules.DecodeHeaderValue(header.Key, header.Value.ToString()));
            }
        }

        if (contentType is not null)
        {
            builder.Set("datacontenttype", contentType);
            if (!IsJson(mediaType))
            {
                // The KServe agent labels a logged response with its request's content type (a form type after
                // curl -d) on a JSON body: the data is kept when it parses, beside the reason, so the join can use
                // the response; an event that is counted is still refused for its media type.
                return TryParseJson(body) is { } labelled
                    ? new IncomingEvents([builder.Build(labelled.RootElement, NotJson(contentType))], isBatch: false, labelled)
                    : new IncomingEvents([builder.Build(null, NotJson(contentType))], isBatch: false);
            }
        }

        if (body.IsEmpty)
        {
            return new IncomingEvents([builder.Build(null)], isBatch: false);
        }

        var document = ParseJson(body, "The body");
        try
        {
            return new IncomingEvents([builder.Build(document.RootElement)], isBatch: false, document);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static IncomingEvents ReadBatch(JsonDocument document)
    {
        try
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                throw AttributeRules.Bad($"A batch must be a JSON array of events; got a {root.ValueKind}.");
            }

            var events = new List<IncomingEvent>(root.GetArrayLength());
            var owners = new List<JsonDocument>();
            foreach (var item in root.EnumerateArray())
            {
                events.Add(ReadStructured(item, $"Event {events.Count + 1} of the batch", owners));
            }

            if (events.Count == 0)
            {
                throw AttributeRules.Bad("The batch holds no events.");
            }

            owners.Add(document);
            return new IncomingEvents(events, isBatch: true, owners);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    /// <summary>One event in the JSON event format; data from <c>data</c>, <c>data_base64</c> or 0.3's base64 <c>data</c>.</summary>
    private static IncomingEvent ReadStructured(JsonElement element, string where, List<JsonDocument> owners)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw AttributeRules.Bad($"{where} must be a JSON object; got a {element.ValueKind}.");
        }

        var builder = new EventBuilder(where);
        if (element.TryGetProperty("specversion", out var specVersion))
        {
            builder.Set("specversion", specVersion);
        }

        builder.CheckSpecVersion();
        JsonElement? data = null;
        string? base64 = null;
        foreach (var member in element.EnumerateObject())
        {
            switch (member.Name)
            {
                case "specversion":
                    break;
                case "data":
                    data = member.Value;
                    break;
                case "data_base64":
                    base64 = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString() : throw AttributeRules.Bad($"{where}: data_base64 must be a string.");
                    break;
                default:
                    builder.Set(member.Name, member.Value);
                    break;
            }
        }

        if (builder.DataContentEncoding is { } encoding && data is { } encoded)
        {
            if (!encoding.Equals("base64", StringComparison.OrdinalIgnoreCase) || encoded.ValueKind != JsonValueKind.String)
            {
                throw AttributeRules.Bad($"{where}: datacontentencoding '{encoding}' with this data is not supported; use base64 with a string.");
            }

            (base64, data) = (encoded.GetString(), null);
        }

        if ((data is not null || base64 is not null) && builder.DataContentType is { } type && !IsJson(MediaTypeOf(type)))
        {
            return builder.Build(null, NotJson(type));
        }

        if (base64 is not null)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                throw AttributeRules.Bad($"{where}: data_base64 is not valid base64.");
            }

            var document = ParseJson(bytes, $"{where}: the data");
            owners.Add(document);
            data = document.RootElement;
        }

        return builder.Build(data);
    }

    private static JsonDocument RequireJsonFormat(string mediaType, string? contentType, ReadOnlyMemory<byte> body)
    {
        if (!mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestRejectedException(415, "Unsupported media type", $"Structured and batch mode are read in JSON only; got {contentType}.");
        }

        return ParseJson(body, "The body");
    }

    /// <summary>The body as JSON when it is UTF-8 JSON, else null (data whose content type says it is not JSON).</summary>
    private static JsonDocument? TryParseJson(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty || !System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> json, string what)
    {
        // RFC 8259: JSON exchanged between systems is UTF-8. The parser checks only the strings it decodes, so
        // invalid bytes in a member we never read would otherwise pass unnoticed.
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            throw AttributeRules.Bad($"{what} is not valid JSON: it holds bytes that are not UTF-8 (RFC 8259).");
        }

        try
        {
            return JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw AttributeRules.Bad($"{what} is not valid JSON: {e.Message}");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(request.ContentLength.Value, maxBytes);
        }

        // Sized to the declared length and one byte more, the read that finds the end: a small event allocates a small
        // buffer, not a 4 KiB one to clear each time.
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, maxBytes) + 1);
        while (true)
        {
            var memory = buffer.GetMemory(request.ContentLength is { } length && length >= buffer.WrittenCount ? (int)(length - buffer.WrittenCount) + 1 : 4096);
            int read;
            try
            {
                read = await request.Body.ReadAsync(memory, cancellationToken);
            }
            catch (Exception e) when (e is BadHttpRequestException { StatusCode: 400 } or IOException or OperationCanceledException
                && (cancellationToken.IsCancellationRequested || request.ContentLength > buffer.WrittenCount || e is IOException))
            {
                // The connection ended before the body did: the client went away (a timeout, a crash), not a bad event.
                throw new ClientGoneException(e);
            }

            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                throw TooLarge(buffer.WrittenCount, maxBytes);
            }
        }
    }

    private static string NotJson(string contentType) => $"The event data must be JSON; got {contentType}.";

    private static string MediaTypeOf(string? contentType) =>
        contentType is null ? "" : contentType.Split(';', 2)[0].Trim();

    private static bool IsJson(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase);

    private static RequestRejectedException TooLarge(long size, long max) =>
        new(413, "Body too large", $"The body is {size} bytes or more; at most {max} are accepted (--max_body_bytes).");
}
