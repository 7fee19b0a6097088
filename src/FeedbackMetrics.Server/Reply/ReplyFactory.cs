using System.Text.Json;
using CloudNative.CloudEvents;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Ingest;
using FeedbackMetrics.Server.Json;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Reply;

/// <summary>Builds the metric CloudEvent of a counted feedback event.</summary>
public sealed class ReplyFactory(IOptions<ReplyOptions> options, TimeProvider time)
{
    private readonly Uri _source = new(options.Value.EventSource, UriKind.RelativeOrAbsolute);
    private readonly string _type = options.Value.EventType;

    public CloudEvent Create(IncomingEvent incoming, FeedbackEvent counted, KeySnapshot snapshot, bool binary)
    {
        var feedback = counted.Feedback;
        var updates = SeldonCounters.ForRows(feedback.Rows, binary);
        var metrics = new ReplyMetric[updates.Count];
        for (var i = 0; i < metrics.Length; i++)
        {
            var u = updates[i];
            metrics[i] = new ReplyMetric(u.Key, "COUNTER", u.Value, u.Class is null ? null : new Dictionary<string, string> { ["class"] = u.Class });
        }

        var body = new ReplyBody(metrics, feedback.Rows.Length, Bounded(MetricsCalculator.Summarize(snapshot), feedback));
        var reply = new CloudEvent(CloudEventsSpecVersion.V1_0)
        {
            Id = ReplyIdOf(counted.Id),
            Source = _source,
            Type = _type,
            Time = time.GetUtcNow(),
            DataContentType = "application/json",
            Data = JsonSerializer.SerializeToUtf8Bytes(body, ServerJsonContext.Default.ReplyBody),
        };
        foreach (var name in IdentityExtensions.Echoed)
        {
            if (incoming.Attribute(name) is { } value)
            {
                reply[name] = value;
            }
        }

        return reply;
    }

    private static ReplySummary Bounded(KeySummary s, Core.Decoding.DecodedFeedback feedback)
    {
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in feedback.Rows)
        {
            touched.Add(row.Truth.DisplayName);
            touched.Add(row.Predicted.DisplayName);
        }

        return new ReplySummary(
            s.Namespace, s.Deployment, s.Predictor, s.Model, s.Classes.Length, s.Count, s.Accuracy, s.Macro, s.Micro, s.Weighted,
            [.. s.PerClass.Where(c => touched.Contains(c.Class))],
            s.Reward);
    }

    /// <summary>Derived from the feedback's (source, id, type), so the reply posted to the reply URL and the one returned to the broker share one id.</summary>
    public static string ReplyIdOf(CloudEventId id) => EventHash.Of(id).ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
}
