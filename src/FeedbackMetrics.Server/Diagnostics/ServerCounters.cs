using System.Collections.Concurrent;
using Prometheus;

namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>Counters about the server's own work: events by outcome, ignored types, replies by result.</summary>
public sealed class ServerCounters
{
    /// <summary>Distinct ignored event types given their own label value; the rest are counted as "other".</summary>
    public const int MaxIgnoredTypes = MetricFamilies.MaxLabelValues;

    private readonly Counter _events;
    private readonly Counter _ignoredTypes;
    private readonly Counter _replies;
    private readonly ConcurrentDictionary<string, byte> _knownTypes = new(StringComparer.Ordinal);
    private readonly IAcceptedEventObserver[] _observers;

    public ServerCounters(IMetricFactory factory, IEnumerable<IAcceptedEventObserver>? observers = null)
    {
        _observers = observers?.ToArray() ?? [];
        _events = factory.CreateCounter(MetricFamilies.EventsTotal);
        _ignoredTypes = factory.CreateCounter(MetricFamilies.IgnoredEventsTotal);
        _replies = factory.CreateCounter(MetricFamilies.RepliesTotal);
        foreach (var outcome in new[] { "accepted", "duplicate", "rejected", "ignored", "unavailable", "overloaded", "aborted" })
        {
            _events.WithLabels(outcome).IncTo(0);
        }

        foreach (var result in Enum.GetValues<ReplyResult>())
        {
            _replies.WithLabels(Label(result)).IncTo(0);
        }
    }

    public void CountEvent(EventOutcome outcome)
    {
        _events.WithLabels(outcome switch
        {
            EventOutcome.Accepted => "accepted",
            EventOutcome.Duplicate => "duplicate",
            _ => "ignored",
        }).Inc();
        if (outcome == EventOutcome.Accepted)
        {
            foreach (var observer in _observers)
            {
                observer.Accepted();
            }
        }
    }

    public void CountRejected() => _events.WithLabels("rejected").Inc();

    public void CountUnavailable() => _events.WithLabels("unavailable").Inc();

    public void CountOverloaded() => _events.WithLabels("overloaded").Inc();

    public void CountAborted() => _events.WithLabels("aborted").Inc();

    public void CountIgnored(string type)
    {
        CountEvent(EventOutcome.Ignored);
        var label = _knownTypes.ContainsKey(type) || (_knownTypes.Count < MaxIgnoredTypes && _knownTypes.TryAdd(type, 0)) ? type : "other";
        _ignoredTypes.WithLabels(label).Inc();
    }

    public void CountReply(ReplyResult result) => _replies.WithLabels(Label(result)).Inc();

    /// <summary>Brings the dropped count up to the outbox's own (called before each scrape).</summary>
    public void SyncDropped(long dropped) => _replies.WithLabels(Label(ReplyResult.Dropped)).IncTo(dropped);

    private static string Label(ReplyResult result) => result switch
    {
        ReplyResult.Sent => "sent",
        ReplyResult.Failed => "failed",
        _ => "dropped",
    };
}
