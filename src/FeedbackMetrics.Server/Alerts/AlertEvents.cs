using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core.Alerts;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Json;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Alerts;

/// <summary>Builds the alert CloudEvent of a transition and the sentence an operator reads (logs, Kubernetes Events).</summary>
public sealed class AlertEvents(IOptions<AlertOptions> alerts, IOptions<ReplyOptions> reply)
{
    public static string Describe(AlertTransition t)
    {
        var value = t.Value.ToString("0.###", CultureInfo.InvariantCulture);
        var threshold = t.Rule.Threshold.ToString("0.###", CultureInfo.InvariantCulture);
        var window = t.Rule.Window == "all" ? "all rows" : t.Rule.Window;
        return t.Firing
            ? $"{t.Rule.Metric} over {window} is {value} on {t.Observations} rows, {(t.Rule.Comparison == AlertComparison.Below ? "below" : "above")} {threshold} (rule {t.Rule.Name})"
            : $"{t.Rule.Metric} over {window} is back to {value} on {t.Observations} rows (rule {t.Rule.Name})";
    }

    public MetricEvent Create(AlertTransition t)
    {
        var key = t.Key;
        var body = new AlertBody(
            t.Rule.Name, t.Firing ? "firing" : "resolved", t.Rule.Metric, t.Rule.Window, t.Rule.Comparison == AlertComparison.Below ? "below" : "above",
            t.Rule.Threshold, t.Value, t.Observations, key.Namespace, key.Deployment, key.Predictor, key.Model, t.Since, t.At, Describe(t));
        var id = EventHash.Of(new CloudEventId(t.Rule.Name, $"{key}|{t.Since.ToUnixTimeMilliseconds()}|{t.Firing}", alerts.Value.EventType));
        return new MetricEvent(
            id.ToString("x32", CultureInfo.InvariantCulture),
            reply.Value.EventSource,
            alerts.Value.EventType,
            t.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            [
                new(IdentityExtensions.Namespace, key.Namespace),
                new(IdentityExtensions.Deployment, key.Deployment),
                new(IdentityExtensions.Predictor, key.Predictor),
                new(IdentityExtensions.Model, key.Model),
            ],
            JsonSerializer.SerializeToUtf8Bytes(body, ServerJsonContext.Default.AlertBody));
    }
}
