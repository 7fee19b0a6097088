using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Json;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Reply;

/// <summary>
/// Turns a counted event's metric event, kept as data (<see cref="MetricReply"/>), into the CloudEvent: this event's
/// Seldon counter updates and the key's bounded summary. The endpoint calls it for the answer to the broker and the
/// outbox sender for the reply URL, outside the writer; the same data gives the same bytes.
/// </summary>
public sealed class ReplyFactory(IOptions<ReplyOptions> options)
{
    private readonly string _source = options.Value.EventSource;
    private readonly string _type = options.Value.EventType;

    public MetricEvent Create(MetricReply reply)
    {
        var updates = SeldonCounters.ForRows(reply.Rows, reply.Binary);
        var metrics = new ReplyMetric[updates.Count];
        for (var i = 0; i < metrics.Length; i++)
        {
            var u = updates[i];
            metrics[i] = new ReplyMetric(u.Key, "COUNTER", u.Value, u.Class is null ? null : new Dictionary<string, string> { ["class"] = u.Class });
        }

        var f = reply.Figures;
        var summary = new ReplySummary(
            f.Key.Namespace, f.Key.Deployment, f.Key.Predictor, f.Key.Model, f.ClassCount, f.Count, f.Accuracy, f.Macro, f.Micro, f.Weighted, f.Touched, f.Reward);
        return new MetricEvent(
            reply.Id,
            _source,
            _type,
            reply.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            reply.Extensions,
            JsonSerializer.SerializeToUtf8Bytes(new ReplyBody(metrics, reply.Rows.Length, summary), ServerJsonContext.Default.ReplyBody));
    }

    /// <summary>What to send for an outbox entry: a metric event kept as data, or an event built already (alerts).</summary>
    public MetricEvent Create(OutboxEntry entry) =>
        entry.Built ?? (entry.Reply is { } reply ? Create(reply) : throw new ArgumentException($"Outbox entry {entry.Seq} holds nothing to send.", nameof(entry)));
}
