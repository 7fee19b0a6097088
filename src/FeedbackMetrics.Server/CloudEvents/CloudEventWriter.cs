using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;
using Microsoft.AspNetCore.Http;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>Writes a CloudEvent as an HTTP response in binary mode (<c>ce-*</c> headers, data as the body).</summary>
public sealed class CloudEventWriter(CloudEventFormatter formatter)
{
    public async Task WriteBinaryAsync(HttpResponse response, CloudEvent cloudEvent, int status, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.Headers[HttpUtilities.SpecVersionHttpHeader] = cloudEvent.SpecVersion.VersionId;
        foreach (var (attribute, value) in cloudEvent.GetPopulatedAttributes())
        {
            if (attribute == cloudEvent.SpecVersion.DataContentTypeAttribute)
            {
                continue;
            }

            response.Headers[HttpUtilities.HttpHeaderPrefix + attribute.Name] = HttpUtilities.EncodeHeaderValue(attribute.Format(value));
        }

        response.ContentType = cloudEvent.DataContentType;
        var body = formatter.EncodeBinaryModeEventData(cloudEvent);
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken);
    }
}
