namespace FeedbackMetrics.Core.State;

/// <summary>
/// Metric events waiting to be posted to the reply URL. A store puts an event's metric event in its outbox in
/// the same step as the counts it reports, so a durable store delivers it at least once, even after a crash.
/// </summary>
public interface IOutbox
{
    /// <summary>False when no reply URL is configured: nothing is kept.</summary>
    bool Enabled { get; }

    /// <summary>Metric events waiting (taken or not).</summary>
    int Depth { get; }

    /// <summary>Metric events not kept because the outbox was full, since start.</summary>
    long Dropped { get; }

    /// <summary>Offers an event kept in memory only (alert events: judged again after a restart); false when it is not kept.</summary>
    bool Post(MetricEvent metricEvent);

    /// <summary>Waits for the next metric event to post; null once the outbox is closed and empty.</summary>
    ValueTask<OutboxEntry?> TakeAsync(CancellationToken cancellationToken);

    /// <summary>The entry was delivered: it is forgotten and never sent again.</summary>
    void Delivered(OutboxEntry entry);

    /// <summary>The entry could not be delivered now: it is offered again later.</summary>
    void Retry(OutboxEntry entry);

    /// <summary>Stops handing out entries (graceful stop); what is left stays for a durable store's next start.</summary>
    void Close();
}
