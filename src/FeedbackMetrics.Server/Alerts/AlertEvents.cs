using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core.Alerts;
using FeedbackMetrics.Core.Engine;
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
    /// <summary>
    /// The sentence an operator reads, e.g. "accuracy over last_100 is 0.72 (95 % interval 0.63–0.8) on 100 rows, below
    /// 0.8 (rule accuracy-drop)".
    /// </summary>
    public static string Describe(AlertTransition t)
    {
        var r = t.Reading;
        if (r.Gap is { } gap)
        {
            return DescribeGap(t, gap);
        }

        var value = Number(r.Value) + (r.Interval is { } i ? $" (95 % interval {Number(i.Low)}–{Number(i.High)})" : "");
        var window = t.Rule.Window == "all" ? "all rows" : t.Rule.Window;
        var side = t.Rule.Comparison switch
        {
            AlertComparison.Below => $"below {Number(r.Threshold)}",
            AlertComparison.Above => $"above {Number(r.Threshold)}",
            AlertComparison.IntervalBelowCumulative => $"wholly below {Number(r.Threshold)} over all rows",
            _ => $"wholly above {Number(r.Threshold)} over all rows",
        };
        return t.Firing
            ? $"{t.Rule.Metric} over {window} is {value} on {r.Rows} rows, {side} (rule {t.Rule.Name})"
            : $"{t.Rule.Metric} over {window} is back to {value} on {r.Rows} rows (rule {t.Rule.Name})";
    }

    /// <summary>
    /// A segment gap's sentence, e.g. "accuracy across region is 0.95 at us (200 rows) and 0.6 at eu (200 rows), a gap
    /// of 0.35 above 0.1 with their 95 % intervals apart (rule region-accuracy-gap)".
    /// </summary>
    private static string DescribeGap(AlertTransition t, SegmentGapReading gap)
    {
        var values = $"{t.Rule.Metric} across {gap.Segment} is {Number(gap.Max)} at {gap.MaxValue} ({gap.MaxRows} rows) and {Number(gap.Min)} at {gap.MinValue} ({gap.MinRows} rows)";
        if (t.Firing)
        {
            return $"{values}, a gap of {Number(gap.Gap)} above {Number(t.Reading.Threshold)}{(t.Rule.RequireApart ? " with their 95 % intervals apart" : "")} (rule {t.Rule.Name})";
        }

        var within = gap.Gap > t.Reading.Threshold ? ", their 95 % intervals overlapping" : $", not above {Number(t.Reading.Threshold)}";
        return $"{values}: back to a gap of {Number(gap.Gap)}{within} (rule {t.Rule.Name})";
    }

    /// <summary>The JSON of a transition (the alert CloudEvent's body, and an entry of the JSON view's alerts).</summary>
    public static AlertBody Body(AlertTransition t)
    {
        var key = t.Key;
        var comparison = t.Rule.Comparison switch
        {
            AlertComparison.Below => "below",
            AlertComparison.Above => "above",
            AlertComparison.IntervalBelowCumulative => "outside_interval_below",
            AlertComparison.IntervalAboveCumulative => "outside_interval_above",
            _ => "segment_gap_above",
        };
        var gap = t.Reading.Gap is { } g ? new AlertSegmentGap(g.Segment, g.Max, g.Min, g.Gap, g.Apart, g.MaxValue, g.MinValue, g.MaxRows, g.MinRows) : null;
        return new AlertBody(
            t.Rule.Name, t.Firing ? "firing" : "resolved", t.Rule.Metric, t.Rule.Window, comparison, t.Reading.Threshold, t.Reading.Value, t.Reading.Interval,
            t.Reading.Rows, gap, key.Namespace, key.Deployment, key.Predictor, key.Model, t.Since, t.At, Describe(t));
    }

    public MetricEvent Create(AlertTransition t)
    {
        var key = t.Key;
        var body = Body(t);
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

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
