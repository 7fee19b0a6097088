using System.Threading.Channels;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// Durable, exactly-once state in SQLite. One writer thread owns the connection and the read model: it takes
/// every request waiting in its queue and writes them in one transaction (group commit). It applies the group to
/// the read model just before the commit (so each metric event carries the figures right after its event) and
/// takes it back if the commit fails; requests complete only after the commit, so nothing is acknowledged that is
/// not on disk. Redeliveries are recognised by the digests of (source, id, type) kept in a <see cref="DedupeWindow"/>
/// and appended to the file in the same transaction as the counts. On a storage error it answers 503 and probes
/// the file every second; once a test write commits again it takes requests again.
/// </summary>
public sealed partial class SqliteFeedbackStore : IFeedbackStore, IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private const long NoHorizon = long.MinValue;
    private const int QueueCapacity = 8192;
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    private readonly MetricsBook _book;
    private readonly DedupeWindow _dedupe;
    private readonly OutboxQueue _outbox;
    private readonly StateOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteFeedbackStore> _logger;
    private readonly Channel<WriteRequest> _queue = Channel.CreateBounded<WriteRequest>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private SqliteConnection? _connection;
    private SqliteStatements? _statements;
    private Dictionary<MetricKey, long> _keyIds = [];
    private long _nextSeq = 1;
    private long _nextOutboxSeq = 1;
    private bool _loaded;
    private bool _reloadOnRecovery;
    private long _forgottenOnDisk;
    private long _lastForget;
    private long _lastWindowPrune;

    /// <summary>Keys that counted rows since the last prune of their window rows.</summary>
    private readonly Dictionary<long, MetricKey> _windowKeys = [];
    private long _dedupeHorizon = NoHorizon;
    private Task _writer = Task.CompletedTask;
    private volatile string? _unavailable = "state not loaded";

    private readonly Histogram _batchSize;
    private readonly Histogram _commitSeconds;

    public SqliteFeedbackStore(MetricsBook book, DedupeWindow dedupe, IOptions<StateOptions> options, IOptions<ReplyOptions> reply, TimeProvider time, IMetricFactory metrics, ILogger<SqliteFeedbackStore> logger, JoinLedger? join = null)
    {
        _join = join;
        _joinEntries = new SqliteJoinEntries(options.Value.Dir);
        _batchSize = metrics.CreateHistogram(
            "feedback_metrics_store_commit_events",
            "Events written per SQLite transaction (group commit).",
            new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _commitSeconds = metrics.CreateHistogram(
            "feedback_metrics_store_commit_seconds",
            "Time to write and commit one group of events to SQLite (fsync included).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 14) });
        _book = book;
        _dedupe = dedupe;
        _outbox = new OutboxQueue(reply.Value.ParsedUrl is not null, reply.Value.QueueCapacity, Delivered);
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public string? Unavailable => _unavailable;

    public IOutbox Outbox => _outbox;

    /// <summary>
    /// Delivered metric events, forgotten by the writer in its next transaction. A queue of their own, not the
    /// bounded write queue: a full queue under overload must not lose them (their rows would be sent again).
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<long> _delivered = new();

    private void Delivered(OutboxEntry entry)
    {
        if (entry.Seq > 0)
        {
            _delivered.Enqueue(entry.Seq);
            _queue.Writer.TryWrite(WakeUp.Instance);
        }
    }

    public long? DedupeHorizon => Interlocked.Read(ref _dedupeHorizon) is var h && h != NoHorizon ? h : null;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Opens and loads the file. A file this server cannot use (newer schema, not SQLite) throws; a directory
    /// that cannot be written yet (read-only, full, locked) leaves the store unavailable and probing.
    /// </summary>
    public Task<RestoreReport> InitializeAsync(CancellationToken cancellationToken)
    {
        var store = $"sqlite {SqliteStateFile.PathIn(_options.Dir)}";
        try
        {
            Open();
            Load();
            ProbeWrite();
            _unavailable = null;
        }
        catch (Exception e) when (IsStorageFault(e))
        {
            Close(checkpoint: false);
            _unavailable = e.Message.TrimEnd('.');
            Log.StorageUnavailable(_logger, e.Message);
            store += " (unavailable, retrying every second)";
        }

        // A thread of its own: the writer blocks on SQLite and fsync, which must not starve Kestrel's thread pool.
        var writer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _writer = writer.Task;
        new Thread(() =>
        {
            WriteLoop();
            writer.SetResult();
        })
        { IsBackground = true, Name = "sqlite-writer" }.Start();
        return Task.FromResult(new RestoreReport(store, _keyIds.Count, _dedupe.Count));
    }

    private static bool IsStorageFault(Exception e) => e is SqliteException or IOException or UnauthorizedAccessException;

    public ValueTask<ApplyResult[]> ApplyAsync(IReadOnlyList<FeedbackEvent> events, CancellationToken cancellationToken)
    {
        var request = new ApplyRequest(events);
        Enqueue(request);
        return new ValueTask<ApplyResult[]>(request.Completion.Task);
    }

    public async ValueTask<int> ResetAsync(IReadOnlyCollection<MetricKey> keys, CancellationToken cancellationToken)
    {
        var request = new ResetRequest(keys);
        Enqueue(request);
        return await request.Completion.Task;
    }

    /// <summary>Stops taking requests, commits what is queued, checkpoints the WAL and closes the file.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _outbox.Close();
        _queue.Writer.TryComplete();
        using (cancellationToken.Register(_stopping.Cancel))
        {
            await _writer;
        }

        _joinEntries.Dispose(); // before the checkpoint: a late scrape must not reopen the file while it is truncated
        Close(checkpoint: true);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

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

    private void Open()
    {
        CheckDirectoryWritable();
        _connection = SqliteStateFile.Open(_options.Dir);
        _statements = new SqliteStatements(_connection);
        _joinStatements = new SqliteJoinStatements(_connection, _joinEntries);
    }

    /// <summary>Rebuilds the read model, the remembered ids and the outbox from the file (start-up, and recovery after a writer defect).</summary>
    private void Load()
    {
        var bucketsFromRows = SqliteStateFile.Scalar(_connection!, SqliteSql.BucketsFromRowsPending) > 0;
        var (keyIds, nextSeq, nextOutboxSeq) = SqliteStateLoader.Load(_connection!, _book, _dedupe, _outbox.Holds, _outbox.Restore, bucketsFromRows);
        SettleBuckets(keyIds, bucketsFromRows);
        LoadJoin();
        _keyIds = keyIds;
        LoadClassNames();
        foreach (var (key, id) in keyIds)
        {
            _windowKeys[id] = key; // rows of a key idle since before the restart get pruned too
        }

        // Never hand out a number again, even one whose row was deleted meanwhile.
        _nextSeq = Math.Max(_nextSeq, nextSeq);
        _nextOutboxSeq = Math.Max(_nextOutboxSeq, nextOutboxSeq);
        _forgottenOnDisk = 0;
        _loaded = true;
        _reloadOnRecovery = false;
        Interlocked.Exchange(ref _dedupeHorizon, _dedupe.OldestExpiry ?? NoHorizon);
    }

    /// <summary>SQLite says only "unable to open database file"; this names the real cause (read-only, full, missing rights).</summary>
    private void CheckDirectoryWritable()
    {
        var probe = Path.Combine(_options.Dir, ".write-probe");
        try
        {
            Directory.CreateDirectory(_options.Dir);
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"state directory {Path.GetFullPath(_options.Dir)} is not writable: {e.Message}", e);
        }
    }

    private void WriteLoop()
    {
        var batch = new List<WriteRequest>(MaxBatch);
        while (true)
        {
            if (_unavailable is not null)
            {
                FailQueued();
                if (_stopping.Token.WaitHandle.WaitOne(ProbeInterval) || _queue.Reader.Completion.IsCompleted)
                {
                    return;
                }

                TryRecover();
                continue;
            }

            if (!_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return;
            }

            // Take what is waiting; a reset is written alone so applies before and after it keep their order.
            while (batch.Count < MaxBatch && _queue.Reader.TryPeek(out var next) && (batch.Count == 0 || next is not ResetRequest))
            {
                _queue.Reader.TryRead(out _);
                batch.Add(next);
                if (next is ResetRequest)
                {
                    break;
                }
            }

            try
            {
                if (batch[0] is ResetRequest reset)
                {
                    reset.Completion.TrySetResult(WriteReset(reset));
                }
                else
                {
                    var started = _time.GetTimestamp();
                    WriteApplies(batch);
                    _commitSeconds.Observe(_time.GetElapsedTime(started).TotalSeconds);
                    _batchSize.Observe(batch.Count);
                }

                ForgetIfDue();
                PruneWindowRowsIfDue();
                Interlocked.Exchange(ref _dedupeHorizon, _dedupe.OldestExpiry ?? NoHorizon);
            }
            catch (SqliteException e)
            {
                EnterFailure($"SQLite error {e.SqliteErrorCode} ({e.SqliteExtendedErrorCode}): {e.Message}", e, batch);
            }
            catch (Exception e)
            {
                // Not a storage fault but a defect of ours: the requests of this group fail (503, the broker
                // retries), the state is rebuilt from the file as after a storage fault, and the process lives on.
                Log.WriterDefect(_logger, e);
                _reloadOnRecovery = true;
                EnterFailure($"internal error in the writer: {e.Message}", e, batch);
            }

            batch.Clear();
        }
    }

    private void FailQueued()
    {
        while (_queue.Reader.TryRead(out var request))
        {
            Fail(request, new StorageUnavailableException($"Storage unavailable: {_unavailable}."));
        }
    }

    private static void Fail(WriteRequest request, Exception e)
    {
        switch (request)
        {
            case ApplyRequest apply:
                apply.Completion.TrySetException(e);
                break;
            case ResetRequest reset:
                reset.Completion.TrySetException(e);
                break;
        }
    }

    private void EnterFailure(string reason, Exception e, List<WriteRequest> batch)
    {
        Log.StorageUnavailable(_logger, reason);
        _unavailable = reason;
        foreach (var request in batch)
        {
            Fail(request, new StorageUnavailableException($"Storage unavailable: {reason}.", e));
        }

        Close(checkpoint: false);
    }

    /// <summary>Reopens the file, proves a write commits, and rebuilds the read model from it (the file is the truth).</summary>
    private void TryRecover()
    {
        try
        {
            // Prove a write commits before touching the read model. After a storage fault the read model already
            // equals the file (a failed group is taken back), so it stays as it is, and scrapes see no dip; only
            // after a writer defect, or when the file was never loaded, is it rebuilt from the file.
            Open();
            ProbeWrite();
            if (!_loaded || _reloadOnRecovery)
            {
                Load();
            }

            _unavailable = null;
            Log.StorageRecovered(_logger);
        }
        catch (Exception e) when (IsStorageFault(e) || e is StateFileException)
        {
            Close(checkpoint: false);
        }
    }

    private void ProbeWrite()
    {
        using var transaction = _connection!.BeginTransaction(deferred: false);
        using var probe = _connection.CreateCommand();
        probe.Transaction = transaction;
        probe.CommandText = SqliteSql.ProbeWrite;
        probe.Parameters.AddWithValue("$at", Now.ToString(System.Globalization.CultureInfo.InvariantCulture));
        probe.ExecuteNonQuery();
        transaction.Commit();
    }

    private void Close(bool checkpoint)
    {
        _joinEntries.Close(); // first: an idle reader is harmless, but a checkpoint need not reckon with it at all
        if (checkpoint && _connection is not null)
        {
            try
            {
                SqliteStateFile.Execute(_connection, SqliteSql.Checkpoint);
            }
            catch (SqliteException)
            {
                // The WAL stays and is replayed on the next open; nothing is lost.
            }
        }

        _statements?.Dispose();
        _joinStatements?.Dispose();
        _connection?.Dispose();
        _statements = null;
        _joinStatements = null;
        _connection = null;
    }
}
