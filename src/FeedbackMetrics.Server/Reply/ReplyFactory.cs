using System.Globalization;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.State;
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

    public MetricEvent Create(MetricReply reply) => new(
        reply.Id,
        _source,
        _type,
        reply.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        reply.Extensions,
        ReplyBodyWriter.Write(reply));

    /// <summary>What to send for an outbox entry: a metric event kept as data, or an event built already (alerts).</summary>
    public MetricEvent Create(OutboxEntry entry) =>
        entry.Built ?? (entry.Reply is { } reply ? Create(reply) : throw new ArgumentException($"Outbox entry {entry.Seq} holds nothing to send.", nameof(entry)));
}
