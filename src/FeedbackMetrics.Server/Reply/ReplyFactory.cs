using System.Text.Json;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Json;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Reply;

/// <summary>Builds the metric CloudEvent of a counted feedback event: this event's Seldon counter updates and the key's bounded summary.</summary>
public sealed class ReplyFactory(IOptions<ReplyOptions> options, TimeProvider time)
{
    private readonly string _source = options.Value.EventSource;
    private readonly string _type = options.Value.EventType;

    public MetricEvent Create(IncomingEvent incoming, CloudEventId id, DecodedFeedback feedback, KeySnapshot snapshot, bool binary)
    {
        var updates = SeldonCounters.ForRows(feedback.Rows, binary);
        var metrics = new ReplyMetric[updates.Count];
        for (var i = 0; i < metrics.Length; i++)
        {
            var u = updates[i];
            metrics[i] = new ReplyMetric(u.Key, "COUNTER", u.Value, u.Class is null ? null : new Dictionary<string, string> { ["class"] = u.Class });
        }

        var body = new ReplyBody(metrics, feedback.Rows.Length, Bounded(MetricsCalculator.Summarize(snapshot, withMatrix: false), feedback));
        var extensions = new List<KeyValuePair<string, string>>(IdentityExtensions.Echoed.Length);
        foreach (var name in IdentityExtensions.Echoed)
        {
            if (incoming.Attribute(name) is { } value)
            {
                extensions.Add(new(name, value));
            }
        }

        return new MetricEvent(
            ReplyIdOf(id),
            _source,
            _type,
            time.GetUtcNow().UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            extensions,
            JsonSerializer.SerializeToUtf8Bytes(body, ServerJsonContext.Default.ReplyBody));
    }

    /// <summary>Derived from the feedback's (source, id, type), so every copy of one event's metric event has one id.</summary>
    public static string ReplyIdOf(CloudEventId id) => EventHash.Of(id).ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    private static ReplySummary Bounded(KeySummary s, DecodedFeedback feedback)
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
}
