using System.Threading.Channels;

namespace FeedbackMetrics.Core.State;

/// <summary>
/// The in-memory side of an outbox: a bounded queue of entries in the order they were counted, with a count of
/// those dropped when full. The memory store uses it alone; the SQLite store keeps the same entries in its file
/// and refills this queue from it at start-up.
/// </summary>
public sealed class OutboxQueue(bool enabled, int capacity, Action<OutboxEntry>? onDelivered = null) : IOutbox
{
    private readonly Channel<OutboxEntry> _channel = Channel.CreateUnbounded<OutboxEntry>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte> _held = new();
    private int _depth;
    private long _memoryOnlySeq;
    private long _dropped;

    public bool Enabled { get; } = enabled;

    public int Capacity { get; } = capacity;

    public int Depth => Volatile.Read(ref _depth);

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>True when one more entry fits; otherwise counts it as dropped.</summary>
    public bool TryReserve()
    {
        if (!Enabled)
        {
            return false;
        }

        if (Interlocked.Increment(ref _depth) <= Capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _depth);
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Memory-only entries take negative sequence numbers, which no durable outbox row has.</summary>
    public bool Post(MetricEvent metricEvent)
    {
        if (!TryReserve())
        {
            return false;
        }

        Publish(new OutboxEntry(Interlocked.Decrement(ref _memoryOnlySeq), null, metricEvent));
        return true;
    }

    /// <summary>Gives back a reservation whose entry was not written (its commit failed).</summary>
    public void Release() => Interlocked.Decrement(ref _depth);

    /// <summary>Hands out an entry whose place was reserved.</summary>
    public void Publish(OutboxEntry entry)
    {
        _held[entry.Seq] = 0;
        _channel.Writer.TryWrite(entry);
    }

    /// <summary>True while the entry is queued or being posted (a durable store restoring its file skips it).</summary>
    public bool Holds(long seq) => _held.ContainsKey(seq);

    /// <summary>Puts back an entry restored from a durable outbox at start-up.</summary>
    public void Restore(OutboxEntry entry)
    {
        Interlocked.Increment(ref _depth);
        Publish(entry);
    }

    public async ValueTask<OutboxEntry?> TakeAsync(CancellationToken cancellationToken)
    {
        while (await _channel.Reader.WaitToReadAsync(cancellationToken))
        {
            if (_channel.Reader.TryRead(out var entry))
            {
                return entry;
            }
        }

        return null;
    }

    public void Delivered(OutboxEntry entry)
    {
        _held.TryRemove(entry.Seq, out _);
        Interlocked.Decrement(ref _depth);
        onDelivered?.Invoke(entry);
    }

    public void Retry(OutboxEntry entry) => _channel.Writer.TryWrite(entry);

    public void Close() => _channel.Writer.TryComplete();
}
