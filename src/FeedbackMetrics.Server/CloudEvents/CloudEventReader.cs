using System.Buffers;
using System.Net.Mime;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Core;
using CloudNative.CloudEvents.Http;
using FeedbackMetrics.Server.Problems;
using Microsoft.AspNetCore.Http;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>
/// The CloudEvents HTTP protocol binding for incoming requests, on top of the SDK's formatter: binary mode
/// (<c>ce-*</c> headers), structured mode (<c>application/cloudevents+json</c>) and batch mode.
/// </summary>
public sealed class CloudEventReader(CloudEventFormatter formatter)
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public async Task<IncomingEvents> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType;
        var body = await ReadBodyAsync(request, maxBytes, cancellationToken);
        try
        {
            if (MimeUtilities.IsCloudEventsBatchContentType(contentType) || MimeUtilities.IsCloudEventsContentType(contentType))
            {
                body = SpecVersion03.UpgradeJson(body);
            }

            if (MimeUtilities.IsCloudEventsBatchContentType(contentType))
            {
                var batch = Decode(() => formatter.DecodeBatchModeMessage(body, ParseContentType(contentType), null));
                if (batch.Count == 0)
                {
                    throw Bad("The batch holds no events.");
                }

                foreach (var cloudEvent in batch)
                {
                    Validate(cloudEvent);
                }

                return new IncomingEvents(batch, isBatch: true);
            }

            if (MimeUtilities.IsCloudEventsContentType(contentType))
            {
                if (!contentType!.Contains("json", StringComparison.OrdinalIgnoreCase))
                {
                    throw new RequestRejectedException(415, "Unsupported media type", $"Structured mode is read in JSON only; got {contentType}.");
                }

                var single = Decode(() => formatter.DecodeStructuredModeMessage(body, ParseContentType(contentType), null));
                return new IncomingEvents([Validate(single)], isBatch: false);
            }

            return ReadBinary(request, contentType, body);
        }
        catch (ArgumentException e)
        {
            throw Bad(e.Message);
        }
    }

    private static IncomingEvents ReadBinary(HttpRequest request, string? contentType, ReadOnlyMemory<byte> body)
    {
        var specVersionId = request.Headers[HttpUtilities.SpecVersionHttpHeader].ToString();
        if (string.IsNullOrEmpty(specVersionId))
        {
            throw Bad($"Not a CloudEvent: no {HttpUtilities.SpecVersionHttpHeader} header, and the content type ({contentType ?? "none"}) is not application/cloudevents+json.");
        }

        var version = CloudEventsSpecVersion.FromVersionId(specVersionId == SpecVersion03.VersionId ? "1.0" : specVersionId)
            ?? throw Bad($"CloudEvents specversion '{specVersionId}' is not supported; use 1.0 or 0.3.");
        if (contentType is not null && !IsJson(contentType))
        {
            throw new RequestRejectedException(415, "Unsupported media type", $"The event data must be JSON; got {contentType}.");
        }

        var cloudEvent = new CloudEvent(version) { DataContentType = contentType };
        foreach (var header in request.Headers)
        {
            if (!header.Key.StartsWith(HttpUtilities.HttpHeaderPrefix, StringComparison.OrdinalIgnoreCase)
                || header.Key.Equals(HttpUtilities.SpecVersionHttpHeader, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var name = header.Key[HttpUtilities.HttpHeaderPrefix.Length..].ToLowerInvariant();
            if (specVersionId == SpecVersion03.VersionId && SpecVersion03.UpgradeAttributeName(name) is { } upgraded)
            {
                name = upgraded;
            }
            else if (specVersionId == SpecVersion03.VersionId)
            {
                continue;
            }

            var value = DecodeHeaderValue(header.Key, header.Value.ToString());
            cloudEvent.SetAttributeFromString(name, value);
        }

        Validate(cloudEvent);
        if (body.IsEmpty)
        {
            return new IncomingEvents([cloudEvent], isBatch: false);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw Bad($"The body is not valid JSON: {e.Message}");
        }

        cloudEvent.Data = document.RootElement;
        return new IncomingEvents([cloudEvent], isBatch: false, document);
    }

    private static string DecodeHeaderValue(string name, string value)
    {
        try
        {
            return HttpUtilities.DecodeHeaderValue(value);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw Bad($"Header {name} is not validly percent-encoded.");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(request.ContentLength.Value, maxBytes);
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, maxBytes) + 1);
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            var read = await request.Body.ReadAsync(memory, cancellationToken);
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

    private static T Decode<T>(Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (JsonException e)
        {
            throw Bad($"The body is not a valid CloudEvent in JSON: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw Bad(e.Message);
        }
    }

    private static CloudEvent Validate(CloudEvent cloudEvent)
    {
        var missing = new List<string>();
        if (string.IsNullOrEmpty(cloudEvent.Id))
        {
            missing.Add("id");
        }

        if (cloudEvent.Source is null || cloudEvent.Source.OriginalString.Length == 0)
        {
            missing.Add("source");
        }

        if (string.IsNullOrEmpty(cloudEvent.Type))
        {
            missing.Add("type");
        }

        if (missing.Count > 0)
        {
            throw Bad($"The CloudEvent lacks required attribute(s): {string.Join(", ", missing)}.");
        }

        return cloudEvent;
    }

    private static ContentType ParseContentType(string? contentType) =>
        MimeUtilities.CreateContentTypeOrNull(contentType) ?? throw Bad($"Content-Type '{contentType}' cannot be parsed.");

    private static bool IsJson(string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase);
    }

    private static RequestRejectedException Bad(string detail) => new(400, "Invalid CloudEvent", detail);

    private static RequestRejectedException TooLarge(long size, long max) =>
        new(413, "Body too large", $"The body is {size} bytes or more; at most {max} are accepted (--max_body_bytes).");
}
