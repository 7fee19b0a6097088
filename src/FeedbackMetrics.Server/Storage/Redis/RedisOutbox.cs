using System.Collections.Concurrent;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.State;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The shared outbox of metric events on Redis: a stream per partition (deployment), each read through one consumer group,
/// each entry a metric event as data (<see cref="ReplyBlob"/>; the sender serialises it). The script that appends a
/// partition's change set writes its metric events and takes them for this replica in the same atomic step (<see cref="RedisScripts.Commit"/>), before the
/// requests are answered, so no counted event's metric event can be lost between two steps. The replica sends them from its in-memory queue and acknowledges and deletes each once
/// delivered. Entries a replica has held unacknowledged for <see cref="ClaimAfter"/> (it died) are taken over by a live replica;
/// a live replica keeps its own entries fresh so they are not. Delivery is at least once: an entry taken over from a
/// replica that was only slow is sent twice.
/// </summary>
internal sealed class RedisOutbox : IOutbox
{
    public const string Group = "senders";

    private readonly OutboxQueue _queue;
    private readonly Func<IDatabase> _db;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, (RedisKey Stream, RedisValue Id, long TakenAt)> _held = new();
    private readonly ConcurrentQueue<(RedisKey Stream, RedisValue Id)> _done = new();
    private readonly ConcurrentDictionary<RedisKey, bool> _groupReady = new();
    private readonly Func<IReadOnlyCollection<RedisKey>> _streams;
    private long _seq;

    /// <param name="streams">The outbox streams of every partition known: where entries abandoned by other replicas are looked for.</param>
    public RedisOutbox(bool enabled, int capacity, Func<IReadOnlyCollection<RedisKey>> streams, Func<IDatabase> db, TimeProvider time)
    {
        _queue = new OutboxQueue(enabled, capacity, Forget);
        _streams = streams;
        _db = db;
        _time = time;
    }

    /// <summary>This replica's consumer name in the group: unique per process, so a restarted replica's old entries are taken over.</summary>
    public string Consumer { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^24];

    /// <summary>How long an entry may sit unacknowledged with its replica before another takes it over.</summary>
    public TimeSpan ClaimAfter { get; set; } = TimeSpan.FromSeconds(60);

    public bool Enabled => _queue.Enabled;

    public int Depth => _queue.Depth;

    public long Dropped => _queue.Dropped;

    public bool Post(MetricEvent metricEvent) => _queue.Post(metricEvent);

    public ValueTask<OutboxEntry?> TakeAsync(CancellationToken cancellationToken) => _queue.TakeAsync(cancellationToken);

    public void Delivered(OutboxEntry entry) => _queue.Delivered(entry);

    public void Retry(OutboxEntry entry) => _queue.Retry(entry);

    public void Close() => _queue.Close();

    /// <summary>
    /// Takes places in the queue for the metric events a commit is to write; returns the ones that
    /// got a place (the rest are counted as dropped). Each place is given back by <see cref="Accept"/> or <see cref="Release"/>.
    /// </summary>
    public List<MetricReply> Reserve(IReadOnlyList<MetricReply> events) =>
        Enabled ? [.. events.Where(_ => _queue.TryReserve())] : [];

    /// <summary>Gives back the places of metric events a commit did not write (another replica appended first, or it failed).</summary>
    public void Release(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _queue.Release();
        }
    }

    /// <summary>
    /// Queues for sending what the commit wrote and took for this replica: <paramref name="taken"/> holds {id,
    /// event} pairs, first one per reserved event, in order (event left out: it is <paramref name="written"/>), then
    /// any older entry no replica had taken yet.
    /// </summary>
    public void Accept(RedisKey stream, IReadOnlyList<MetricReply> written, RedisResult[] taken)
    {
        for (var i = 0; i + 1 < taken.Length; i += 2)
        {
            var own = i / 2 < written.Count;
            var entry = own ? new OutboxEntry(Interlocked.Increment(ref _seq), written[i / 2]) : new OutboxEntry(Interlocked.Increment(ref _seq), ReplyBlob.Read((byte[])taken[i + 1]!));
            _held[entry.Seq] = (stream, (RedisValue)taken[i], Now);
            if (own)
            {
                _queue.Publish(entry);
            }
            else
            {
                _queue.Restore(entry);
            }
        }
    }

    /// <summary>
    /// Housekeeping, run by the log's follow-up: deletes delivered entries whose acknowledgement failed earlier, keeps
    /// this replica's entries from looking abandoned, and takes over entries abandoned by other replicas.
    /// </summary>
    public async Task MaintainAsync()
    {
        if (!Enabled)
        {
            return;
        }

        try
        {
            await MaintainOnceAsync();
        }
        catch (Exception e)
        {
            ForgetGroupIfGone(e);
            throw;
        }
    }

    private async Task MaintainOnceAsync()
    {
        var db = _db();
        var done = new List<(RedisKey Stream, RedisValue Id)>();
        while (done.Count < 1000 && _done.TryDequeue(out var item))
        {
            done.Add(item);
        }

        foreach (var stream in done.GroupBy(d => d.Stream))
        {
            try
            {
                await db.ScriptEvaluateAsync(RedisScripts.OutboxDone, [stream.Key], [Group, .. stream.Select(d => d.Id)]);
            }
            catch
            {
                foreach (var item in done)
                {
                    _done.Enqueue(item);
                }

                throw;
            }
        }

        var stale = Now - (long)(ClaimAfter.TotalMilliseconds / 2);
        var touch = _held.Where(h => h.Value.TakenAt < stale).Take(1000).ToList();
        foreach (var stream in touch.GroupBy(t => t.Value.Stream))
        {
            await db.StreamClaimIdsOnlyAsync(stream.Key, Group, Consumer, 0, [.. stream.Select(h => h.Value.Id)]);
            foreach (var (seq, held) in stream)
            {
                _held.TryUpdate(seq, (held.Stream, held.Id, Now), held);
            }
        }

        foreach (var stream in _streams())
        {
            var room = Math.Min(_queue.Capacity - _queue.Depth, 100);
            if (room <= 0)
            {
                return;
            }

            EnsureGroup(stream);
            var claimed = await db.StreamAutoClaimAsync(stream, Group, Consumer, (long)ClaimAfter.TotalMilliseconds, "0-0", room);
            var mine = claimed.ClaimedEntries.Length == 0 ? [] : _held.Values.Select(h => h.Id).ToHashSet();
            foreach (var message in claimed.ClaimedEntries)
            {
                var blob = message["e"];
                if (blob.IsNull || mine.Contains(message.Id))
                {
                    continue; // one of ours, slow to be touched: it is queued here already
                }

                var entry = new OutboxEntry(Interlocked.Increment(ref _seq), ReplyBlob.Read((byte[])blob!));
                _held[entry.Seq] = (stream, message.Id, Now);
                _queue.Restore(entry);
            }

            foreach (var id in claimed.DeletedIds)
            {
                _done.Enqueue((stream, id));
            }
        }
    }

    private void Forget(OutboxEntry entry)
    {
        if (!_held.TryRemove(entry.Seq, out var held))
        {
            return; // an alert event, kept in memory only
        }

        _ = DoneAsync(held.Stream, held.Id);
    }

    private async Task DoneAsync(RedisKey stream, RedisValue id)
    {
        try
        {
            await _db().ScriptEvaluateAsync(RedisScripts.OutboxDone, [stream], [Group, id]);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException or StorageUnavailableException)
        {
            _done.Enqueue((stream, id)); // deleted by a later housekeeping round
        }
    }

    /// <summary>Makes a partition's stream and its consumer group unless they are there (a commit reads through it).</summary>
    public void EnsureGroup(RedisKey stream)
    {
        if (!Enabled || _groupReady.ContainsKey(stream))
        {
            return;
        }

        try
        {
            _db().StreamCreateConsumerGroup(stream, Group, "0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another replica made it first.
        }

        _groupReady[stream] = true;
    }

    /// <summary>Redis lost a group (its data was lost): make them again next time.</summary>
    public void ForgetGroupIfGone(Exception e)
    {
        if (e.Message.Contains("NOGROUP", StringComparison.Ordinal))
        {
            _groupReady.Clear();
        }
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
