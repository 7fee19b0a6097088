using System.Net.Http.Headers;
using System.Text;
using FeedbackMetrics.Core.State;
using Microsoft.AspNetCore.Http;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>
/// Writes a metric event in CloudEvents HTTP binary mode — <c>ce-*</c> headers, JSON body — as the answer to the
/// delivering broker or as the post to the reply URL. Header values are percent-encoded where the HTTP binding
/// asks (space, double quote, percent, and anything outside printable ASCII, as UTF-8).
/// </summary>
public static class MetricEventWriter
{
    public const string ContentType = "application/json";

    public static async Task WriteAsync(HttpResponse response, MetricEvent metricEvent, int status, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        foreach (var (name, value) in Headers(metricEvent))
        {
            response.Headers[name] = value;
        }

        response.ContentType = ContentType;
        response.ContentLength = metricEvent.Body.Length;
        await response.Body.WriteAsync(metricEvent.Body, cancellationToken);
    }

    public static HttpRequestMessage ToRequest(MetricEvent metricEvent, Uri url)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(metricEvent.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        foreach (var (name, value) in Headers(metricEvent))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    private static IEnumerable<(string Name, string Value)> Headers(MetricEvent e)
    {
        yield return ("ce-specversion", "1.0");
        yield return ("ce-id", Encode(e.Id));
        yield return ("ce-source", Encode(e.Source));
        yield return ("ce-type", Encode(e.Type));
        yield return ("ce-time", e.Time);
        foreach (var (name, value) in e.Extensions)
        {
            yield return ("ce-" + name, Encode(value));
        }
    }

    /// <summary>CloudEvents HTTP binding 3.1.3.2: percent-encode space, '"', '%' and every byte outside printable ASCII.</summary>
    public static string Encode(string value)
    {
        foreach (var c in value)
        {
            if (c is <= ' ' or > '~' or '"' or '%')
            {
                return EncodeSlow(value);
            }
        }

        return value;
    }

    private static string EncodeSlow(string value)
    {
        var text = new StringBuilder(value.Length * 3);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is <= (byte)' ' or > (byte)'~' or (byte)'"' or (byte)'%')
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append((char)b);
            }
        }

        return text.ToString();
    }
}
