using System.Collections.Concurrent;
using System.Threading.Channels;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// The state seam over the engine and a state log. With a durable log one writer thread takes every request waiting
/// and decides them as one group (<see cref="FeedbackEngine.Decide"/>), commits the group's change set in one write
/// (group commit), applies it to the state, and only then completes the requests: nothing is acknowledged that is not
/// durable, and the read model never shows what is not. Metric events are data until the endpoint or the outbox
/// sender serialises them. On a storage fault it answers 503 and probes every second; once a write commits again it
/// takes requests again. Without a durable log (<c>--state memory</c>) requests are decided and applied inline.
/// </summary>
public sealed partial class EngineStore : IFeedbackStore, IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private const int QueueCapacity = 8192;
    private const long NoHorizon = long.MinValue;

    private readonly FeedbackEngine _engine;
    private readonly IStateLog _log;
    private readonly OutboxQueue _outbox;
    private readonly TimeProvider _time;
    private readonly ILogger<EngineStore> _logger;
    private readonly Lock _inline = new();
    private readonly Channel<WriteRequest> _queue = Channel.CreateBounded<WriteRequest>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true });
    private readonly ConcurrentQueue<long> _delivered = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Histogram _batchSize;
    private readonly Histogram _commitSeconds;
    private System.Threading.ITimer? _housekeeping;
    private Task _writer = Task.CompletedTask;
    private volatile string? _unavailable = "state not loaded";
    private long _horizon = NoHorizon;
    private bool _loaded;
    private bool _reloadOnRecovery;
    private int _stopped;
    private int _wakePending;

    /// <param name="outbox">Whether a reply URL is set (metric events are kept for it) and how many may wait at most.</param>
    public EngineStore(FeedbackEngine engine, IStateLog log, (bool Enabled, int Capacity) outbox, TimeProvider time, IMetricFactory metrics, ILogger<EngineStore> logger)
    {
        (_engine, _log, _time, _logger) = (engine, log, time, logger);
        _outbox = new OutboxQueue(outbox.Enabled, outbox.Capacity, Delivered);
        _batchSize = metrics.CreateHistogram(
            MetricFamilies.StoreCommitEvents.Name,
            MetricFamilies.StoreCommitEvents.Help,
            new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _commitSeconds = metrics.CreateHistogram(
            MetricFamilies.StoreCommitSeconds.Name,
            MetricFamilies.StoreCommitSeconds.Help,
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 14) });
    }

    public string? Unavailable => _unavailable;

    public IOutbox Outbox => _log.Outbox ?? _outbox;

    public long? DedupeHorizon => Interlocked.Read(ref _horizon) is var h && h != NoHorizon ? h : null;

    public Task<RestoreReport> InitializeAsync(CancellationToken cancellationToken)
    {
        var name = _log.Name;
        try
        {
            Load();
            _unavailable = null;
        }
        catch (Exception e) when (IsStorageFault(e))
        {
            _log.Close(graceful: false);
            _unavailable = e.Message.TrimEnd('.');
            Log.StorageUnavailable(_logger, e.Message);
            name += " (unavailable, retrying every second)";
        }

        // A shared log follows the other replicas by the wall clock, whatever clock the engine decides with.
        _housekeeping = (_log.Shared ? TimeProvider.System : _time).CreateTimer(_ => Housekeep(), null, _log.FollowInterval, _log.FollowInterval);
        if (_log.Durable)
        {
            // A thread of its own: the writer blocks on the log's fsync, which must not starve Kestrel's thread pool.
            var writer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _writer = writer.Task;
            new Thread(() =>
            {
                WriteLoop();
                writer.SetResult();
            })
            { IsBackground = true, Name = "state-writer" }.Start();
        }

        return Task.FromResult(new RestoreReport(name, _engine.State.Models.KeyCount, _engine.State.Ids.Count));
    }

    public ValueTask<ApplyResult[]> ApplyAsync(IReadOnlyList<IngestEvent> events, CancellationToken cancellationToken)
    {
        if (!_log.Durable)
        {
            lock (_inline)
            {
                var decision = _engine.Decide([events]);
                Committed(decision.Changes);
                var outcome = decision.Requests[0];
                return outcome.Refusal is { } refusal ? throw refusal : ValueTask.FromResult(outcome.Results!);
            }
        }

        var request = new ApplyRequest(events);
        Enqueue(request);
        return new ValueTask<ApplyResult[]>(request.Completion.Task);
    }

    public async ValueTask<int> ResetAsync(IReadOnlyCollection<MetricKey> keys, CancellationToken cancellationToken)
    {
        if (!_log.Durable)
        {
            lock (_inline)
            {
                var (existed, changes) = _engine.Reset(keys);
                Committed(changes);
                return existed;
            }
        }

        var request = new ResetRequest(keys);
        Enqueue(request);
        return await request.Completion.Task;
    }

    /// <summary>Stops taking requests, commits what is queued, writes a last snapshot and closes the log.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        _housekeeping?.Dispose();
        _outbox.Close();
        _log.Outbox?.Close();
        _queue.Writer.TryComplete();
        using (cancellationToken.Register(_stopping.Cancel))
        {
            await _writer;
        }

        if (_unavailable is null && _loaded)
        {
            try
            {
                _log.Maintain(_engine.State, _outbox.Holds, Drain(), force: true);
            }
            catch (Exception e) when (IsStorageFault(e))
            {
                Log.StorageUnavailable(_logger, e.Message); // the journal has it all; the next start replays it
            }
        }

        _log.Close(graceful: true);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    private bool IsStorageFault(Exception e) => _log.IsFault(e);

    private void Enqueue(WriteRequest request)
    {
        if (_unavailable is { } reason)
        {
            throw new StorageUnavailableException($"Storage unavailable: {reason}.");
        }

        if (!_queue.Writer.TryWrite(request))
        {
            throw new StorageUnavailableException("The write queue is full or the server is stopping.");
        }
    }

    /// <summary>Fills the state from the log and puts the metric events still to post back in the outbox.</summary>
    private void Load()
    {
        _engine.ForgetPlans();
        foreach (var (seq, reply) in _log.Load(_engine))
        {
            if (!_outbox.Holds(seq))
            {
                _outbox.Restore(new OutboxEntry(seq, reply));
            }
        }

        _loaded = true;
        _reloadOnRecovery = false;
        Interlocked.Exchange(ref _horizon, _engine.State.Ids.OldestExpiry ?? NoHorizon);
    }

    /// <summary>A change set is durable: apply it, and hand its metric events to the outbox sender (a shared log's outbox has them).</summary>
    private void Committed(ChangeSet changes)
    {
        _engine.Apply(changes);
        foreach (var change in _log.Outbox is null ? changes.Changes : [])
        {
            if (change is ReplyPosted posted && _outbox.TryReserve())
            {
                _outbox.Publish(new OutboxEntry(posted.Seq, posted.Reply));
            }
        }

        Interlocked.Exchange(ref _horizon, _engine.State.Ids.OldestExpiry ?? NoHorizon);
    }

    /// <summary>Expiry without traffic: inline in memory mode, through the writer otherwise.</summary>
    private void Housekeep()
    {
        if (_log.Durable)
        {
            // One wake-up waiting is enough: a clock that jumps (a test's, or after a pause) does not fill the queue.
            if (Interlocked.Exchange(ref _wakePending, 1) == 0 && !_queue.Writer.TryWrite(WakeUp.Instance))
            {
                _wakePending = 0;
            }

            return;
        }

        lock (_inline)
        {
            Committed(_engine.Housekeep());
        }
    }

    /// <summary>Delivered metric events: forgotten by the log with its next snapshot.</summary>
    private void Delivered(OutboxEntry entry)
    {
        if (entry.Seq > 0 && _log.Durable)
        {
            _delivered.Enqueue(entry.Seq);
        }
    }

    private List<long> Drain()
    {
        var delivered = new List<long>();
        while (_delivered.TryDequeue(out var seq))
        {
            delivered.Add(seq);
        }

        return delivered;
    }
}
