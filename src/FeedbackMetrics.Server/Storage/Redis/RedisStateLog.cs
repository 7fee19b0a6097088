using System.Globalization;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
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
/// state in memory, as with SQLite, and decides with the engine. The log is kept per (namespace, deployment) — a
/// partition, its keys hashed together (<see cref="RedisKeyNames"/>), so a cluster spreads deployments over its masters.
/// A commit splits the group's change set per partition and appends each part only if that partition's log is still at
/// the version this replica's state holds (<see cref="RedisScripts.Commit"/>): one script call for the group on a single
/// Redis, one per partition on a cluster, all sent at once. Where another replica appended first the part is refused
/// (<see cref="StateConflictException"/>, with the parts that did commit): the replica applies what the others
/// appended (<see cref="CatchUp"/>) and decides the requests of the refused partitions again. Every
/// <c>--redis_refresh_interval</c> a replica follows every partition, so its reads show what the others counted. The
/// replica holding the exporter lease also writes a snapshot of the whole state (<see cref="StateImage"/>) with the
/// version of each partition it holds, and trims the logs behind it; start-up reads the latest snapshot and each log after it.
/// </summary>
public sealed partial class RedisStateLog : IStateLog
{
    /// <summary>Change sets read per call when following a partition.</summary>
    private const int FollowPage = 512;

    /// <summary>
    /// A snapshot is written once the logs hold this many change sets past the last one and at least as many bytes as
    /// that snapshot: Redis then holds at most about twice the state, and writing snapshots costs a bounded share of
    /// appending, however large the state.
    /// </summary>
    public const int SnapshotEntries = 4096;

    /// <summary>A snapshot is written at least this often while the logs have change sets past the last one.</summary>
    public static readonly TimeSpan SnapshotEvery = TimeSpan.FromMinutes(5);

    private readonly StateOptions _options;
    private readonly TimeProvider _time;
    private readonly ModelSeriesGate _gate;
    private readonly SharedAlerts _alerts;
    private readonly Gauge _exporting;
    private readonly ILogger _logger;
    private readonly RedisKeyNames _names;
    private readonly RedisOutbox _outbox;
    private readonly MemoryStream _buffer = new();
    private readonly Dictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly Dictionary<JoinScope, Partition> _byScope = [];
    private ConnectionMultiplexer? _redis;
    private string _epoch = "";
    private long _snapshot;
    private long _snapshotThrough;
    private long _lastFollow;
    private long _lastSnapshot;
    private long _snapshotBytes;
    private long _bytesSince;
    private bool _leader;

    /// <summary>True on a Redis Cluster: each partition's part is then a call of its own (its keys are in its own slot).</summary>
    private bool _cluster;
    private byte[]? _alertsWritten;

    /// <param name="time">The clock the follow interval, the snapshots and the outbox's claims are timed by (the engine has its own).</param>
    /// <param name="alerts">Where the alert loop and this log pass the lease holder's alerts (<see cref="ShareAlerts"/>).</param>
    public RedisStateLog(StateOptions options, (bool Enabled, int Capacity) outbox, TimeProvider time, ModelSeriesGate gate, SharedAlerts alerts, IMetricFactory metrics, ILogger logger)
    {
        (_options, _time, _gate, _alerts, _logger) = (options, time, gate, alerts, logger);
        _alerts.Enabled = true;
        _names = new RedisKeyNames(options.RedisPrefix);
        _outbox = new RedisOutbox(outbox.Enabled, outbox.Capacity, OutboxStreams, () => Db, time);
        _gate.Set(false);
        _exporting = metrics.CreateGauge(MetricFamilies.ModelSeriesExporter.Name, MetricFamilies.ModelSeriesExporter.Help);
    }

    public string Name => $"redis {RedisConnection.Describe(_options)} (prefix {_options.RedisPrefix})";

    public bool Durable => true;

    public bool Shared => true;

    public IOutbox Outbox => _outbox;

    public TimeSpan FollowInterval => _options.RedisRefreshInterval;

    /// <summary>The change sets this replica's state holds, summed over the partitions.</summary>
    private long Applied => _partitions.Values.Sum(p => p.Applied);

    private IDatabase Db => (_redis ?? throw new StorageUnavailableException("Storage unavailable: Redis: not connected.")).GetDatabase();

    public bool IsFault(Exception e) => e is RedisException or RedisTimeoutException or StorageUnavailableException or ObjectDisposedException;

    public IReadOnlyList<(long Seq, MetricReply Reply)> Load(FeedbackEngine engine)
    {
        Connect();
        for (var attempt = 1; ; attempt++)
        {
            // A snapshot switched (and the old one deleted) between reading the head and the snapshot: read again.
            Db.HashSet(_names.Head, "epoch", Guid.NewGuid().ToString("N"), When.NotExists);
            var head = (RedisResult[])Db.ScriptEvaluate(RedisScripts.State, [_names.Head, _names.Partitions])!;
            var (epoch, snapshot) = ((string)head[0]!, (long)head[1]);
            var chunks = snapshot > 0 ? Db.ListRange(_names.Snapshot(snapshot)) : [];
            var through = snapshot > 0 ? Db.HashGetAll(_names.SnapshotThrough(snapshot)) : [];
            if (snapshot > 0 && chunks.Length == 0 && attempt < 10)
            {
                continue;
            }

            var state = engine.State;
            state.Clear();
            StateImage.Read(chunks.Select(c => (byte[])c!), state, engine.Time.GetUtcNow().ToUnixTimeMilliseconds());
            (_snapshotBytes, _bytesSince) = (chunks.Sum(c => (long)c.Length()), 0);
            (_epoch, _snapshot) = (epoch, snapshot);
            _partitions.Clear();
            _byScope.Clear();
            foreach (var entry in through)
            {
                Known((string)entry.Name!).Applied = (long)entry.Value;
            }

            foreach (var name in (RedisResult[])head[2]!)
            {
                Known((string)name!).Registered = true;
            }

            Repair();
            _snapshotThrough = Applied;
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

    /// <summary>Makes every partition agree with the snapshot just read (<see cref="RedisScripts.Repair"/>).</summary>
    private void Repair()
    {
        var parts = _partitions.Values.ToList();
        var answers = Evaluate(RedisScripts.Repair, [.. parts.Select(p => ((RedisKey[])[p.Head, p.Log], (RedisValue[])[_epoch, p.Applied]))]);
        for (var i = 0; i < parts.Count; i++)
        {
            var answer = (RedisResult[])answers[i]!;
            var (how, version) = ((long)answer[0], (long)answer[1]);
            if (how == 1)
            {
                parts[i].Applied = version;
                Log.PartitionRepaired(_logger, parts[i].Name, "it was left by a state Redis lost; it starts over empty");
            }
            else if (how == 2)
            {
                Log.PartitionRepaired(_logger, parts[i].Name, "its log lost change sets the snapshot holds (a failover without --redis_wait_replicas); it goes on after the snapshot");
            }
        }
    }

    /// <summary>
    /// Applies what other replicas appended: to the partitions a refused commit named, or, when none did, to every
    /// partition (the list of them read again). Throws a lost-state conflict when the state cannot follow.
    /// </summary>
    public void CatchUp(FeedbackEngine engine)
    {
        var stale = _partitions.Values.Where(p => p.Stale).ToList();
        foreach (var part in stale)
        {
            if (part.Missed is { } missed)
            {
                // What the refused commit brought back: often all that was missed.
                part.Missed = null;
                Apply(engine, part, missed.Entries);
                part.Stale = part.Applied < missed.Version;
            }
        }

        List<Partition> follow;
        if (stale.Count > 0)
        {
            follow = [.. stale.Where(p => p.Stale)];
        }
        else
        {
            var head = (RedisResult[])Db.ScriptEvaluate(RedisScripts.State, [_names.Head, _names.Partitions])!;
            if ((string)head[0]! != _epoch)
            {
                throw new StateConflictException(lost: true, $"the Redis state changed from epoch {_epoch} to {(string)head[0]!}: Redis lost its data (restarted without persistence, or replaced)");
            }

            foreach (var name in (RedisResult[])head[2]!)
            {
                Known((string)name!).Registered = true;
            }

            follow = [.. _partitions.Values];
        }

        while (follow.Count > 0)
        {
            var answers = Evaluate(RedisScripts.Follow, [.. follow.Select(p => ((RedisKey[])[p.Head, p.Log], (RedisValue[])[$"{p.Applied + 1}-1", FollowPage]))]);
            var more = new List<Partition>();
            for (var i = 0; i < follow.Count; i++)
            {
                var part = follow[i];
                var answer = (RedisResult[])answers[i]!;
                var (epoch, version, entries) = ((string)answer[0]!, (long)answer[1], (RedisResult[])answer[2]!);
                if ((epoch.Length > 0 && epoch != _epoch) || version < part.Applied)
                {
                    throw new StateConflictException(lost: true, $"the log of {part.Name} went back to version {version} (epoch {epoch}) from {part.Applied}: Redis lost its data");
                }

                Apply(engine, part, entries);
                if (part.Applied < version && entries.Length == 0)
                {
                    throw new StateConflictException(lost: true, $"the log of {part.Name} lacks change set {part.Applied + 1} this replica needs");
                }

                part.Stale = false;
                if (part.Applied < version)
                {
                    more.Add(part);
                }
            }

            follow = more;
        }
    }

    /// <summary>Applies a partition's stream entries (<c>{id, {'c', blob}}</c>) in order, each the next change set.</summary>
    private void Apply(FeedbackEngine engine, Partition part, RedisResult[] entries)
    {
        foreach (var entry in entries)
        {
            var parts = (RedisResult[])entry!;
            var seq = long.Parse(((string)parts[0]!).Split('-')[0], CultureInfo.InvariantCulture);
            if (seq != part.Applied + 1)
            {
                throw new StateConflictException(lost: true, $"the log of {part.Name} was trimmed past change set {part.Applied + 1} this replica needs");
            }

            var blob = (byte[])((RedisResult[])parts[1]!)[1]!;
            engine.Apply(Decode(blob));
            part.Applied = seq;
            _bytesSince += blob.Length;
        }
    }

    public void Commit(ChangeSet changes)
    {
        var touched = changes.IsEmpty ? [] : Append(changes);

        // Duplicates too: their first delivery may have been refused for want of replicas.
        WaitForReplicas(touched);
    }

    /// <summary>Appends each partition's part of the change set, the calls sent at once; returns the partitions appended to.</summary>
    private List<Partition> Append(ChangeSet changes)
    {
        var split = Split(changes);
        foreach (var (part, _) in split)
        {
            Register(part);
        }

        var sent = new List<(Partition Part, List<MetricReply> Kept, int Bytes, RedisKey[] Keys, RedisValue[] Args)>(split.Count);
        foreach (var (part, partChanges) in split)
        {
            var kept = _outbox.Reserve([.. partChanges.Changes.OfType<ReplyPosted>().Select(p => p.Reply)]);
            var blob = Encode(partChanges);
            sent.Add((part, kept, blob.Length, [part.Head, part.Log, part.Outbox], [part.Applied, blob, kept.Count, .. kept.Select(r => (RedisValue)ReplyBlob.Write(r))]));
        }

        // One call for the whole group on a single Redis; on a cluster one per partition, its keys in its own slot.
        List<List<int>> calls = _cluster ? [.. sent.Select((_, i) => new List<int> { i })] : [[.. Enumerable.Range(0, sent.Count)]];
        var results = TryEvaluate(RedisScripts.Commit, [.. calls.Select(c => ((RedisKey[])[.. c.SelectMany(i => sent[i].Keys)], (RedisValue[])[_epoch, RedisOutbox.Group, _outbox.Consumer, .. c.SelectMany(i => sent[i].Args)]))]);
        var answers = new (RedisResult? Answer, Exception? Error)[sent.Count];
        for (var c = 0; c < calls.Count; c++)
        {
            for (var j = 0; j < calls[c].Count; j++)
            {
                answers[calls[c][j]] = results[c].Error is { } e ? (null, e) : (((RedisResult[])results[c].Answer!)[j], null);
            }
        }

        Exception? failed = null;
        var (committed, refused, lost) = (new List<Partition>(), new List<Partition>(), false);
        for (var i = 0; i < sent.Count; i++)
        {
            var (part, kept, bytes, _, _) = sent[i];
            if (answers[i].Error is { } error)
            {
                _outbox.Release(kept.Count);
                _outbox.ForgetGroupIfGone(error);
                failed ??= error;
                continue;
            }

            var answer = (RedisResult[])answers[i].Answer!;
            switch ((long)answer[0])
            {
                case 1:
                    part.Applied = (long)answer[1];
                    _bytesSince += bytes;
                    _outbox.Accept(part.Outbox, kept, answer[2..]);
                    committed.Add(part);
                    break;
                case 0:
                    _outbox.Release(kept.Count);
                    (part.Missed, part.Stale) = (((long)answer[1], (RedisResult[])answer[2]!), true);
                    refused.Add(part);
                    break;
                default:
                    _outbox.Release(kept.Count);
                    lost = true;
                    break;
            }
        }

        if (failed is not null)
        {
            // The store loads the state again once Redis answers: the parts that did commit are in it then.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        }

        if (refused.Count == 0 && !lost)
        {
            return committed;
        }

        var done = committed.Select(p => p.Scope!.Value).ToHashSet();
        var durable = new ChangeSet(changes.DecidedAt);
        foreach (var change in changes.Changes.Where(c => done.Contains(ScopeOf(c))))
        {
            durable.Add(change);
        }

        throw new StateConflictException(
            lost,
            lost ? "a deployment's log belongs to another epoch: Redis lost its data (restarted without persistence, or replaced)"
                : $"another replica appended to {string.Join(", ", refused.Select(p => $"{p.Name} (version {p.Missed!.Value.Version})"))} first")
        {
            Committed = durable.IsEmpty ? null : durable,
            CommittedScopes = done,
        };
    }

    /// <summary>The change set's parts per partition, each in the order decided, the partitions in the order first touched.</summary>
    private List<(Partition Part, ChangeSet Changes)> Split(ChangeSet changes)
    {
        var split = new List<(Partition Part, ChangeSet Changes)>(1);
        foreach (var change in changes.Changes)
        {
            var scope = ScopeOf(change);
            var at = split.FindIndex(s => s.Part.Scope == scope);
            if (at < 0)
            {
                split.Add((Known(scope), new ChangeSet(changes.DecidedAt)));
                at = split.Count - 1;
            }

            split[at].Changes.Add(change);
        }

        return split;
    }

    /// <summary>The deployment a change belongs to: where a log kept per deployment keeps it.</summary>
    private static JoinScope ScopeOf(Change change) => change switch
    {
        IdRemembered id => id.Scope ?? throw new InvalidOperationException("An id to remember without the deployment it arrived under."),
        RowsCounted c => JoinScope.Of(c.Key),
        RowsMoved m => JoinScope.Of(m.Key),
        JoinChanged j => j.Scope,
        ClassNamesSet n => JoinScope.Of(n.Key),
        ModelReset r => JoinScope.Of(r.Key),
        ReplyPosted p => JoinScope.Of(p.Reply.Figures.Key),
        _ => throw new InvalidOperationException($"Unknown change {change.GetType().Name}."),
    };

    /// <summary>Adds a partition to the list every replica follows before its first change set is appended.</summary>
    private void Register(Partition part)
    {
        if (part.Registered)
        {
            return;
        }

        Db.SetAdd(_names.Partitions, part.Name);
        _outbox.EnsureGroup(part.Outbox);
        part.Registered = true;
    }

    public void Maintain(EngineState state, Func<long, bool> pendingReply, IReadOnlyList<long> delivered, bool force = false)
    {
        if (!force && _time.GetElapsedTime(_lastFollow) < FollowInterval)
        {
            return;
        }

        _lastFollow = _time.GetTimestamp();
        HoldLease();
        ShareAlerts();
        _outbox.MaintainAsync().GetAwaiter().GetResult();
        var version = Applied;
        var due = (version - _snapshotThrough >= SnapshotEntries && _bytesSince >= _snapshotBytes)
            || (version > _snapshotThrough && _time.GetElapsedTime(_lastSnapshot) >= SnapshotEvery);
        if (_leader && (due || (force && version > _snapshotThrough)))
        {
            WriteSnapshot(state);
        }
    }

    /// <summary>
    /// The lease holder writes the alerts it judged firing when they changed; every other replica reads them, so it
    /// lists them without judging (<see cref="Alerts.AlertLoop"/>).
    /// </summary>
    private void ShareAlerts()
    {
        if (!_leader)
        {
            _alerts.Received = (byte[]?)Db.StringGet(_names.Alerts);
            return;
        }

        if (_alerts.Judged is { } judged && (_alertsWritten is null || !judged.AsSpan().SequenceEqual(_alertsWritten)))
        {
            Db.StringSet(_names.Alerts, judged);
            _alertsWritten = judged;
        }
    }

    /// <summary>
    /// Writes the whole state as a new snapshot generation with each partition's version, makes it the latest, and trims
    /// each partition's log behind it.
    /// </summary>
    private void WriteSnapshot(EngineState state)
    {
        _lastSnapshot = _time.GetTimestamp();
        // A generation no replica used before: a snapshot being written never overwrites the one others read.
        var generation = Db.HashIncrement(_names.Head, "generations");
        var (key, throughKey) = (_names.Snapshot(generation), _names.SnapshotThrough(generation));
        var image = StateImage.Write(state);
        foreach (var chunk in image.Chunk(16))
        {
            Db.ListRightPush(key, [.. chunk.Select(c => (RedisValue)c)]);
        }

        var parts = _partitions.Values.Where(p => p.Applied > 0).ToList();
        if (parts.Count > 0)
        {
            Db.HashSet(throughKey, [.. parts.Select(p => new HashEntry(p.Name, p.Applied))]);
        }

        var switched = (long)Db.ScriptEvaluate(
            RedisScripts.Switch,
            [_names.Head, key, throughKey, _names.Snapshot(_snapshot), _names.SnapshotThrough(_snapshot)],
            [_epoch, _snapshot, generation]);
        if (switched != 1)
        {
            return;
        }

        (_snapshot, _snapshotThrough, _snapshotBytes, _bytesSince) = (generation, parts.Sum(p => p.Applied), image.Sum(c => (long)c.Length), 0);
        Await(parts.Select(p => Db.StreamTrimByMinIdAsync(p.Log, $"{p.Applied + 1}-1")));
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
            var leader = (long)Db.ScriptEvaluate(RedisScripts.HoldLease, [_names.Exporter], [_outbox.Consumer, lease]) == 1;
            if (leader && !_leader)
            {
                // Before the alert loop judges as the holder: what the last holder found, to go on from.
                (_alerts.Received, _alerts.Judged, _alertsWritten) = ((byte[]?)Db.StringGet(_names.Alerts), null, null);
            }

            _leader = leader;
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

        _cluster = _redis.GetServers().Any(s => s.ServerType == ServerType.Cluster);
    }

    /// <summary>
    /// <c>--redis_wait_replicas</c>: WAIT on the primary of each partition the commit appended to (every primary for a
    /// group of repeats), so an acknowledged event survives the primary's failover, not only its restart. Fewer replicas
    /// than asked is a storage fault (503): the events are in the log, so the broker's redelivery is a repeat,
    /// acknowledged once the replicas have it.
    /// </summary>
    private void WaitForReplicas(List<Partition> touched)
    {
        var wanted = _options.RedisWaitReplicas;
        if (wanted == 0)
        {
            return;
        }

        var primaries = touched.Count > 0
            ? touched.Select(p => Db.IdentifyEndpoint(p.Head) ?? throw new StorageUnavailableException($"Storage unavailable: Redis: no primary serves the keys of {p.Name}.")).Distinct()
            : _redis!.GetServers().Where(s => s.IsConnected && !s.IsReplica).Select(s => s.EndPoint);
        foreach (var primary in primaries)
        {
            var reached = (long)_redis!.GetServer(primary).Execute("WAIT", wanted, (long)_options.RedisWaitTimeout.TotalMilliseconds);
            if (reached < wanted)
            {
                throw new StorageUnavailableException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Storage unavailable: Redis: the writes reached {reached} of the {wanted} replicas --redis_wait_replicas asks for within {_options.RedisWaitTimeout.TotalMilliseconds} ms."));
            }
        }
    }

    /// <summary>Runs one script per partition, all sent at once (pipelined, to whichever masters serve them); throws the first failure.</summary>
    private RedisResult[] Evaluate(string script, IReadOnlyList<(RedisKey[] Keys, RedisValue[] Args)> calls)
    {
        var answers = TryEvaluate(script, calls);
        foreach (var (_, error) in answers)
        {
            if (error is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }

        return [.. answers.Select(a => a.Answer!)];
    }

    /// <summary>
    /// Runs one script per partition and says what each answered or how it failed. One call is made synchronously:
    /// the common case, and the one where an extra hop through the thread pool would widen the window in which another
    /// replica can append first.
    /// </summary>
    private (RedisResult? Answer, Exception? Error)[] TryEvaluate(string script, IReadOnlyList<(RedisKey[] Keys, RedisValue[] Args)> calls)
    {
        if (calls.Count == 1)
        {
            try
            {
                return [(Db.ScriptEvaluate(script, calls[0].Keys, calls[0].Args), null)];
            }
            catch (Exception e) when (IsFault(e))
            {
                return [(null, e)];
            }
        }

        var db = Db;
        var tasks = calls.Select(c => db.ScriptEvaluateAsync(script, c.Keys, c.Args)).ToArray();
        try
        {
            Task.WaitAll(tasks);
        }
        catch (AggregateException)
        {
            // Each task's failure is read below.
        }

        return [.. tasks.Select(t => t.IsCompletedSuccessfully ? (t.Result, (Exception?)null) : (null, t.Exception?.InnerException ?? new TaskCanceledException()))];
    }

    private static void Await(IEnumerable<Task<long>> calls) => Task.WhenAll(calls).GetAwaiter().GetResult();

    private Partition Known(string name)
    {
        if (!_partitions.TryGetValue(name, out var part))
        {
            part = new Partition(name, _names);
            _partitions[name] = part;
        }

        return part;
    }

    private Partition Known(JoinScope scope)
    {
        if (!_byScope.TryGetValue(scope, out var part))
        {
            part = Known(RedisKeyNames.PartitionOf(scope));
            part.Scope = scope;
            _byScope[scope] = part;
        }

        return part;
    }

    private IReadOnlyCollection<RedisKey> OutboxStreams() => [.. _partitions.Values.Where(p => p.Registered).Select(p => p.Outbox)];

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
