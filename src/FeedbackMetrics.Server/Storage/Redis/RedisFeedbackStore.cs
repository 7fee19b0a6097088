using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// Shared, exactly-once state in Redis (one server or a Redis Cluster) for several replicas. A request's events are
/// counted by one Lua script run over the hash slot of their models (dedupe, class cap, cells, rewards), with the
/// requests that waited for this replica's previous run (<see cref="RedisApplyQueue"/>), and each
/// request is answered only after Redis replied. The local <see cref="MetricsBook"/> holds the global figures: loaded
/// from Redis at start-up, brought up to date by every script's answer, and refreshed every
/// <c>--redis_refresh_interval</c> with what other replicas counted. The late-truth join is kept in Redis too
/// (RedisFeedbackStore.Join.cs). While Redis cannot be reached the store is unavailable (503, not ready) and a
/// refresh every interval finds out when it is back.
/// </summary>
public sealed partial class RedisFeedbackStore : IFeedbackStore, IAsyncDisposable
{
    /// <summary>
    /// Runs of the apply script per request before it is refused with 503, when with an outbox each run found the
    /// models changed since this replica last saw them (another replica counted meanwhile).
    /// </summary>
    private const int StaleAttempts = 16;

    /// <summary>
    /// With an outbox, how long a stale answer gives the replica a model's turn: other replicas' calls for the model
    /// wait meanwhile, so its next call (a round trip and the replay of its request) finds the model unchanged.
    /// </summary>
    private static readonly TimeSpan TurnLength = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a request waits for other replicas' turns on its models before it is answered 503.</summary>
    private static readonly TimeSpan TurnWait = TimeSpan.FromSeconds(5);

    /// <summary>Models read back per script call (a refresh after a long outage reads them in several calls).</summary>
    private const int ReadChunk = 256;

    /// <summary>
    /// Events per script call when waiting requests are combined: more than a busy replica gathers while one call is in
    /// flight (about 15 requests under bench/replicas.sh's load), few enough that one call (Redis runs a script alone,
    /// every replica waiting) stays a matter of milliseconds.
    /// </summary>
    private const int CombinedEvents = 256;

    private readonly Reply.ReplyFactory _replies;
    private readonly MetricsBook _book;
    private readonly StateOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisFeedbackStore> _logger;
    private readonly RedisOutbox _outbox;
    private readonly RedisKeyNames _names;
    private readonly ModelSeriesGate _gate;
    private readonly Gauge _exporting;
    private readonly RedisReadModel _model;
    private readonly RedisSharedFigures _shared;
    private readonly RedisApplyQueue _queue;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _modelGates = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private ConnectionMultiplexer? _redis;
    private Task _refresher = Task.CompletedTask;
    private long _oldestIdExpiry;
    private string? _epoch;
    private bool _stopped;
    private volatile string? _unavailable = "state not loaded from Redis yet";

    public RedisFeedbackStore(MetricsBook book, IOptions<StateOptions> options, IOptions<ReplyOptions> reply, TimeProvider time, ModelSeriesGate gate, IMetricFactory metrics, ILogger<RedisFeedbackStore> logger, JoinLedger? join = null)
    {
        _replies = new Reply.ReplyFactory(reply);
        // The join's entries and sums live in Redis; the ledger given shows the global figures (it holds no entries)
        // and gives the limits and the clock every decision is made with.
        _join = join ?? new JoinLedger(JoinLimits.Default, time);
        _joinLimits = _join.Limits;
        _gate = gate;
        _gate.Set(false);
        _exporting = metrics.CreateGauge(MetricFamilies.ModelSeriesExporter.Name, MetricFamilies.ModelSeriesExporter.Help);
        _book = book;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _names = new RedisKeyNames(_options.RedisPrefix);
        _outbox = new RedisOutbox(reply.Value.ParsedUrl is not null, reply.Value.QueueCapacity, _names, () => Db, time);
        _model = new RedisReadModel(book);
        _shared = new RedisSharedFigures(book.Windows);
        _queue = new RedisApplyQueue(ApplyCombinedAsync, CombinedEvents);
    }

    public string? Unavailable => _unavailable;

    public IOutbox Outbox => _outbox;

    public long? DedupeHorizon => Interlocked.Read(ref _oldestIdExpiry) is > 0 and var oldest ? oldest : null;

    private IDatabase Db => (_redis ?? throw new StorageUnavailableException("Storage unavailable: not connected to Redis.")).GetDatabase();

    /// <summary>Connects and loads every model; when Redis cannot be reached yet the store stays unavailable and keeps trying.</summary>
    public async Task<RestoreReport> InitializeAsync(CancellationToken cancellationToken)
    {
        var store = $"redis {RedisConnection.Describe(_options)} (prefix {_options.RedisPrefix})";
        _redis = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Configure(_options));

        // Not ready the moment a connection drops; the refresh loop says ready again once a round trip succeeds.
        _redis.ConnectionFailed += (_, e) => MarkUnavailable($"Redis: connection to {e.EndPoint} failed ({e.FailureType})");
        var ids = 0L;
        try
        {
            ids = await RefreshAsync();
            await HoldExporterLeaseAsync();
            _unavailable = null;
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            _unavailable = Reason(e);
            Log.StorageUnavailable(_logger, _unavailable);
            store += " (unavailable, retrying)";
        }

        _refresher = Task.Run(RefreshLoopAsync, CancellationToken.None);
        return new RestoreReport(store, _model.Count, (int)Math.Min(ids, int.MaxValue));
    }

    public async ValueTask<ApplyResult[]> ApplyAsync(IReadOnlyList<IngestEvent> events, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        var results = await _queue.ApplyAsync([.. events.Select(LegacyOf)]);

        // Names are not shared between replicas: each learns them from the responses it takes.
        for (var i = 0; i < events.Count; i++)
        {
            if (results[i].Outcome == ApplyOutcome.Applied)
            {
                _book.ClassNames.Set(events[i].Key, events[i] switch
                {
                    CountedFeedback f => f.Feedback.ClassNames,
                    LoggedResponse r => r.Response.ClassNames,
                    _ => null,
                });
            }
        }

        return results;
    }

    /// <summary>The event as this store's own planning takes it, its metric event built from the figures its count leaves.</summary>
    private FeedbackEvent LegacyOf(IngestEvent e)
    {
        var id = FeedbackEngine.ReplyIdOf(EventHash.Of(e.Id));
        MetricReply ReplyOf(Observation[] rows, KeySnapshot snapshot) =>
            new(id, _time.GetUtcNow(), e.Reply.Extensions, e.Reply.Binary, rows, ReplyFigures.Of(snapshot, rows));
        return e switch
        {
            CountedFeedback f => new FeedbackEvent(f.Id, f.Key, f.Feedback, snapshot => ReplyOf(f.Feedback.Rows, snapshot)),
            LoggedResponse r => new FeedbackEvent(r.Id, r.Key, JoinPart.NoRows, NoReply)
            {
                Join = new ResponsePart(r.RequestId, r.Response, (_, rows, snapshot) => ReplyOf(rows.Rows, snapshot)),
            },
            TruthOnly t => new FeedbackEvent(t.Id, t.Key, JoinPart.NoRows, NoReply)
            {
                Join = new TruthPart(t.RequestId, t.Truth, t.Reward, (_, rows, snapshot) => ReplyOf(rows.Rows, snapshot)),
            },
            _ => throw new ArgumentException($"Unknown event {e.GetType().Name}.", nameof(e)),
        };
    }

    private static MetricReply NoReply(KeySnapshot snapshot) =>
        throw new InvalidOperationException("A join half has no metric event of its own; the join builds one for the rows it counts.");

    /// <summary>
    /// Counts the events of one or several requests (combined by <see cref="_queue"/>), with the join when any is a
    /// join half, then waits for the Redis replicas asked for: one WAIT for all of them.
    /// </summary>
    private async Task<ApplyResult[]> ApplyCombinedAsync(IReadOnlyList<FeedbackEvent> events)
    {
        var results = events.Any(e => e.Join is not null) ? await ApplyJoinAsync(events) : await ApplyPlainAsync(events);

        // Duplicates too: their first delivery may have been refused for want of replicas.
        await WaitForReplicasAsync();
        return results;
    }

    /// <summary>Counts plain events in one run of the apply script, run again while it finds the state stale.</summary>
    private async Task<ApplyResult[]> ApplyPlainAsync(IReadOnlyList<FeedbackEvent> events)
    {
        var request = RedisApplyRequest.Of(events);
        var results = new ApplyResult[events.Count];
        Array.Fill(results, ApplyResult.Duplicate);
        for (var attempt = 1; request.Groups.Count > 0 && !await RunApplyAsync(request, null, results); attempt++)
        {
            if (attempt == StaleAttempts)
            {
                RedisLog.StaleContended(_logger, events.Count, StaleAttempts);
                throw new StorageUnavailableException($"Storage unavailable: the models of this request kept changing under other replicas ({StaleAttempts} attempts); deliver it again.");
            }
        }

        return results;
    }

    public async ValueTask<int> ResetAsync(IReadOnlyCollection<MetricKey> keys, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        var removed = 0;
        try
        {
            foreach (var key in keys)
            {
                var tag = RedisKeyNames.Tag(key);
                removed += (int)await Db.ScriptEvaluateAsync(RedisScripts.Reset, [_names.Models, .. _names.Of(tag)], [tag]);
                await ResetJoinAsync(tag);
                await ReadModelsAsync([(key, tag)]);
            }

            await ReadJoinAsync();
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            throw Fail(e);
        }

        return removed;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _outbox.Close();
        await _stopping.CancelAsync();
        await _refresher;
        if (_redis is not null)
        {
            try
            {
                // Hand the exporter lease over at once rather than after it runs out.
                await Db.ScriptEvaluateAsync(RedisScripts.ReleaseLease, [_names.Exporter], [_outbox.Consumer]);
            }
            catch (Exception e) when (IsRedisFault(e))
            {
            }

            await _redis.CloseAsync();
            await _redis.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    private void ThrowIfUnavailable()
    {
        if (_unavailable is { } reason)
        {
            throw new StorageUnavailableException($"Storage unavailable: {reason}.");
        }
    }

    private StorageUnavailableException Fail(Exception e)
    {
        var reason = Reason(e);
        MarkUnavailable(reason);
        return new StorageUnavailableException($"Storage unavailable: {reason}.", e);
    }

    private void MarkUnavailable(string reason)
    {
        if (_unavailable is null)
        {
            _unavailable = reason;
            Log.StorageUnavailable(_logger, reason);
        }
    }

    private static string Reason(Exception e) => $"Redis: {e.Message.TrimEnd('.')}";

    private static bool IsRedisFault(Exception e) => e is RedisException or StorageUnavailableException or FormatException or InvalidCastException or ObjectDisposedException;

    private static InvalidFeedbackException Refused(FeedbackEvent e, int eventsInRequest, string reason) =>
        new(RejectionKind.LimitExceeded, eventsInRequest > 1 ? $"Event {e.Id}: {reason} The whole batch was refused; nothing was counted." : reason);

    private static partial class RedisLog
    {
        [LoggerMessage(EventId = 40, EventName = "RedisReplayMismatch", Level = LogLevel.Error,
            Message = "Model {Model}: replaying a request gave the classes {Replayed}, not the {Stored} classes Redis holds in its order; its figures are read again from Redis")]
        public static partial void ReplayMismatch(ILogger logger, string model, string replayed, int stored);

        [LoggerMessage(EventId = 41, EventName = "RedisStaleContended", Level = LogLevel.Warning,
            Message = "A request of {Count} event(s) was refused with 503: its models changed under other replicas before each of {Attempts} runs of the apply script, which writes their metric events with them; the broker delivers it again")]
        public static partial void StaleContended(ILogger logger, int count, int attempts);

        [LoggerMessage(EventId = 42, EventName = "RedisStateLost", Level = LogLevel.Error,
            Message = "The Redis state changed from epoch {Old} to {New}: Redis lost its data (restarted without persistence, or replaced); the figures are loaded again from what it holds now")]
        public static partial void StateLost(ILogger logger, string old, string @new);

        [LoggerMessage(EventId = 43, EventName = "RedisJoinContended", Level = LogLevel.Warning,
            Message = "A request of {Count} event(s) was refused with 503: the join entries it touches changed under other replicas at each of {Attempts} attempts; the broker delivers it again")]
        public static partial void JoinContended(ILogger logger, int count, int attempts);
    }
}
