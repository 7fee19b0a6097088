using System.Globalization;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Storage.Sqlite;
using Microsoft.Extensions.Logging;
using Prometheus;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The shared state log on Redis (one server or a Redis Cluster) for several replicas. Each replica holds the whole
/// state in memory, as with SQLite, and decides with the engine; a commit is one script that appends the group's
/// change set to a stream only if the log is still at the version this replica's state holds
/// (<see cref="RedisScripts.Commit"/>). When another replica appended first the commit is refused
/// (<see cref="StateConflictException"/>): the replica applies what the others appended (<see cref="CatchUp"/>) and
/// decides again, so every decision — dedupe, caps, the join, windows, metric events — is made on the whole state.
/// Every <c>--redis_refresh_interval</c> a replica follows the log, so its reads show what the others counted. The
/// replica holding the exporter lease also writes a snapshot (<see cref="StateImage"/>) now and then and trims the log
/// behind it; start-up reads the latest snapshot and the log after it.
/// </summary>
public sealed partial class RedisStateLog : IStateLog
{
    /// <summary>Change sets read per call when following the log.</summary>
    private const int FollowPage = 512;

    /// <summary>
    /// A snapshot is written once the log holds this many change sets past the last one and at least as many bytes as
    /// that snapshot: Redis then holds at most about twice the state, and writing snapshots costs a bounded share of
    /// appending, however large the state.
    /// </summary>
    public const int SnapshotEntries = 4096;

    /// <summary>A snapshot is written at least this often while the log has change sets past the last one.</summary>
    public static readonly TimeSpan SnapshotEvery = TimeSpan.FromMinutes(5);

    private readonly StateOptions _options;
    private readonly TimeProvider _time;
    private readonly ModelSeriesGate _gate;
    private readonly Gauge _exporting;
    private readonly ILogger _logger;
    private readonly RedisKeyNames _names;
    private readonly RedisOutbox _outbox;
    private readonly MemoryStream _buffer = new();
    private ConnectionMultiplexer? _redis;
    private string _epoch = "";
    private long _applied;
    private long _snapshot;
    private long _snapshotThrough;
    private long _lastFollow;
    private long _lastSnapshot;
    private long _snapshotBytes;
    private long _bytesSince;
    private bool _leader;

    /// <summary>The change sets a refused commit brought back, up to the head's version then: what <see cref="CatchUp"/> applies first.</summary>
    private (long Version, RedisResult[] Entries)? _missed;

    /// <param name="time">The clock the follow interval, the snapshots and the outbox's claims are timed by (the engine has its own).</param>
    public RedisStateLog(StateOptions options, (bool Enabled, int Capacity) outbox, TimeProvider time, ModelSeriesGate gate, IMetricFactory metrics, ILogger logger)
    {
        (_options, _time, _gate, _logger) = (options, time, gate, logger);
        _names = new RedisKeyNames(options.RedisPrefix);
        _outbox = new RedisOutbox(outbox.Enabled, outbox.Capacity, _names, () => Db, time);
        _gate.Set(false);
        _exporting = metrics.CreateGauge(MetricFamilies.ModelSeriesExporter.Name, MetricFamilies.ModelSeriesExporter.Help);
    }

    public string Name => $"redis {RedisConnection.Describe(_options)} (prefix {_options.RedisPrefix})";

    public bool Durable => true;

    public bool Shared => true;

    public IOutbox Outbox => _outbox;

    public TimeSpan FollowInterval => _options.RedisRefreshInterval;

    /// <summary>The last change set this replica's state holds (its version of the log).</summary>
    public long Version => _applied;

    private IDatabase Db => (_redis ?? throw new StorageUnavailableException("Storage unavailable: Redis: not connected.")).GetDatabase();

    public bool IsFault(Exception e) => e is RedisException or RedisTimeoutException or StorageUnavailableException or ObjectDisposedException;

    public IReadOnlyList<(long Seq, MetricReply Reply)> Load(FeedbackEngine engine)
    {
        Connect();
        _outbox.EnsureGroup();
        for (var attempt = 1; ; attempt++)
        {
            // A snapshot switched (and the old one deleted) between reading the head and the snapshot: read again.
            Db.HashSet(_names.Head, "epoch", Guid.NewGuid().ToString("N"), When.NotExists);
            var head = Db.HashGet(_names.Head, ["epoch", "snapshot", "snapshot_through"]);
            var (epoch, snapshot, through) = ((string)head[0]!, (long?)head[1] ?? 0, (long?)head[2] ?? 0);
            var chunks = snapshot > 0 ? Db.ListRange(_names.Snapshot(snapshot)) : [];
            if (snapshot > 0 && chunks.Length == 0 && attempt < 10)
            {
                continue;
            }

            var state = engine.State;
            state.Clear();
            StateImage.Read(chunks.Select(c => (byte[])c!), state, engine.Time.GetUtcNow().ToUnixTimeMilliseconds());
            (_snapshotBytes, _bytesSince) = (chunks.Sum(c => (long)c.Length()), 0);
            (_epoch, _applied, _snapshot, _snapshotThrough, _missed) = (epoch, through, snapshot, through, null);
            try
            {
                CatchUp(engine);
            }
            catch (StateConflictException) when (attempt < 10)
            {
                continue;
            }

            _lastFollow = _lastSnapshot = _time.GetTimestamp();
            HoldLease();
            return [];
        }
    }

    /// <summary>Applies what other replicas appended since this state's version; throws a lost-state conflict when it cannot follow.</summary>
    public void CatchUp(FeedbackEngine engine)
    {
        if (_missed is { } missed)
        {
            // What the refused commit brought back: often all that was missed.
            _missed = null;
            Apply(engine, missed.Entries);
            if (_applied >= missed.Version)
            {
                return;
            }
        }

        while (true)
        {
            var answer = (RedisResult[])Db.ScriptEvaluate(RedisScripts.Follow, [_names.Head, _names.Log], [$"{_applied + 1}-1", FollowPage])!;
            var (epoch, version) = ((string)answer[0]!, (long)answer[1]);
            (_snapshot, _snapshotThrough) = ((long)answer[2], (long)answer[3]);
            if (epoch != _epoch || version < _applied)
            {
                throw new StateConflictException(lost: true, $"the Redis state changed from epoch {_epoch} to {epoch}: Redis lost its data (restarted without persistence, or replaced)");
            }

            var entries = (RedisResult[])answer[4]!;
            Apply(engine, entries);
            if (_applied < version && entries.Length == 0)
            {
                throw new StateConflictException(lost: true, $"the log lacks change set {_applied + 1} this replica needs");
            }

            if (_applied >= version)
            {
                return;
            }
        }
    }

    /// <summary>Applies stream entries (<c>{id, {'c', blob}}</c>) in order, each the next change set.</summary>
    private void Apply(FeedbackEngine engine, RedisResult[] entries)
    {
        foreach (var entry in entries)
        {
            var parts = (RedisResult[])entry!;
            var seq = long.Parse(((string)parts[0]!).Split('-')[0], CultureInfo.InvariantCulture);
            if (seq != _applied + 1)
            {
                throw new StateConflictException(lost: true, $"the log was trimmed past change set {_applied + 1} this replica needs");
            }

            var blob = (byte[])((RedisResult[])parts[1]!)[1]!;
            engine.Apply(Decode(blob));
            _applied = seq;
            _bytesSince += blob.Length;
        }
    }

    public void Commit(ChangeSet changes)
    {
        if (!changes.IsEmpty)
        {
            Append(changes);
        }

        // Duplicates too: their first delivery may have been refused for want of replicas.
        WaitForReplicas();
    }

    private void Append(ChangeSet changes)
    {
        var replies = changes.Changes.OfType<ReplyPosted>().Select(p => p.Reply).ToList();
        var kept = _outbox.Reserve(replies);
        var blob = Encode(changes);
        RedisValue[] args = [_epoch, _applied, blob, RedisOutbox.Group, _outbox.Consumer, .. kept.Select(r => (RedisValue)ReplyBlob.Write(r))];
        RedisResult[] answer;
        try
        {
            answer = (RedisResult[])Db.ScriptEvaluate(RedisScripts.Commit, [_names.Head, _names.Log, _names.Outbox], args)!;
        }
        catch (Exception e)
        {
            _outbox.Release(kept.Count);
            _outbox.ForgetGroupIfGone(e);
            throw;
        }

        switch ((long)answer[0])
        {
            case 1:
                _applied = (long)answer[1];
                _bytesSince += blob.Length;
                _outbox.Accept(kept, answer[2..]);
                return;
            case 0:
                _outbox.Release(kept.Count);
                _missed = ((long)answer[1], (RedisResult[])answer[2]!);
                throw new StateConflictException(lost: false, $"another replica appended change set {(long)answer[1]} first");
            default:
                _outbox.Release(kept.Count);
                throw new StateConflictException(lost: true, "the Redis state's epoch changed: Redis lost its data (restarted without persistence, or replaced)");
        }
    }

    public void Maintain(EngineState state, Func<long, bool> pendingReply, IReadOnlyList<long> delivered, bool force = false)
    {
        if (!force && _time.GetElapsedTime(_lastFollow) < FollowInterval)
        {
            return;
        }

        _lastFollow = _time.GetTimestamp();
        HoldLease();
        _outbox.MaintainAsync().GetAwaiter().GetResult();
        var due = (_applied - _snapshotThrough >= SnapshotEntries && _bytesSince >= _snapshotBytes)
            || (_applied > _snapshotThrough && _time.GetElapsedTime(_lastSnapshot) >= SnapshotEvery);
        if (_leader && (due || (force && _applied > _snapshotThrough)))
        {
            WriteSnapshot(state);
        }
    }

    /// <summary>Writes the whole state as a new snapshot generation, then makes it the latest and trims the log behind it.</summary>
    private void WriteSnapshot(EngineState state)
    {
        _lastSnapshot = _time.GetTimestamp();
        // A generation no replica used before: a snapshot being written never overwrites the one others read.
        var generation = Db.HashIncrement(_names.Head, "generations");
        var key = _names.Snapshot(generation);
        var image = StateImage.Write(state);
        foreach (var chunk in image.Chunk(16))
        {
            Db.ListRightPush(key, [.. chunk.Select(c => (RedisValue)c)]);
        }

        var switched = (long)Db.ScriptEvaluate(
            RedisScripts.Switch,
            [_names.Head, _names.Log, key, _names.Snapshot(_snapshot)],
            [_epoch, _snapshot, generation, _applied]);
        if (switched == 1)
        {
            (_snapshot, _snapshotThrough, _snapshotBytes, _bytesSince) = (generation, _applied, image.Sum(c => (long)c.Length), 0);
        }
    }

    /// <summary>
    /// Takes or keeps the lease that makes this replica the one writing the per-model series and the snapshots. It lasts
    /// three follow intervals (at least 5 s), so a replica that stops following loses it.
    /// </summary>
    private void HoldLease()
    {
        var lease = (long)Math.Max(5000, 3 * FollowInterval.TotalMilliseconds);
        try
        {
            _leader = (long)Db.ScriptEvaluate(RedisScripts.HoldLease, [_names.Exporter], [_outbox.Consumer, lease]) == 1;
        }
        catch
        {
            // Without Redis this replica cannot know whether another took the lease: it stops exporting, so no two do.
            _leader = false;
            throw;
        }
        finally
        {
            _gate.Set(_leader);
            _exporting.Set(_leader ? 1 : 0);
        }
    }

    public void Probe()
    {
        Connect();
        Db.Ping();
    }

    public void Close(bool graceful)
    {
        if (_redis is null)
        {
            return;
        }

        if (graceful)
        {
            _outbox.Close();
            try
            {
                // Hand the exporter lease over at once rather than after it runs out.
                Db.ScriptEvaluate(RedisScripts.ReleaseLease, [_names.Exporter], [_outbox.Consumer]);
            }
            catch (Exception e) when (IsFault(e))
            {
            }
        }

        _leader = false;
        _gate.Set(false);
        _exporting.Set(0);
        _redis.Close();
        _redis.Dispose();
        _redis = null;
    }

    private void Connect()
    {
        _redis ??= ConnectionMultiplexer.Connect(RedisConnection.Configure(_options));
        if (!_redis.IsConnected)
        {
            throw new StorageUnavailableException($"Redis: cannot reach {RedisConnection.Describe(_options)}");
        }
    }

    /// <summary>
    /// <c>--redis_wait_replicas</c>: WAIT on the primary of this server's hash slot, so an acknowledged event survives
    /// the primary's failover, not only its restart. Fewer replicas than asked is a storage fault (503): the events are
    /// in the log, so the broker's redelivery is a duplicate, acknowledged once the replicas have it.
    /// </summary>
    private void WaitForReplicas()
    {
        var wanted = _options.RedisWaitReplicas;
        if (wanted == 0)
        {
            return;
        }

        var primary = Db.IdentifyEndpoint(_names.Head) ?? throw new StorageUnavailableException("Storage unavailable: Redis: no primary serves this server's keys.");
        var reached = (long)_redis!.GetServer(primary).Execute("WAIT", wanted, (long)_options.RedisWaitTimeout.TotalMilliseconds);
        if (reached < wanted)
        {
            throw new StorageUnavailableException(string.Create(
                CultureInfo.InvariantCulture,
                $"Storage unavailable: Redis: the writes reached {reached} of the {wanted} replicas --redis_wait_replicas asks for within {_options.RedisWaitTimeout.TotalMilliseconds} ms."));
        }
    }

    private byte[] Encode(ChangeSet changes)
    {
        _buffer.SetLength(0);
        using (var w = new BinaryWriter(_buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            RecordCodec.WriteChangeSet(w, changes);
        }

        return _buffer.ToArray();
    }

    private static ChangeSet Decode(byte[] blob)
    {
        using var r = new BinaryReader(new MemoryStream(blob));
        return RecordCodec.ReadChangeSet(r);
    }
}
