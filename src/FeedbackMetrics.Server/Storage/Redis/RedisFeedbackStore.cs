using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
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
/// counted by one Lua script run over the hash slot of their models (dedupe, class cap, cells, rewards), and the
/// request is answered only after Redis replied. The local <see cref="MetricsBook"/> holds the global figures: loaded
/// from Redis at start-up, brought up to date by every script's answer, and refreshed every
/// <c>--redis_refresh_interval</c> with what other replicas counted. While Redis cannot be reached the store is
/// unavailable (503, not ready) and a refresh every interval finds out when it is back.
/// </summary>
public sealed partial class RedisFeedbackStore : IFeedbackStore, IAsyncDisposable
{
    /// <summary>Models read back per script call (a refresh after a long outage reads them in several calls).</summary>
    private const int ReadChunk = 256;

    private readonly MetricsBook _book;
    private readonly StateOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisFeedbackStore> _logger;
    private readonly RedisOutbox _outbox;
    private readonly RedisKeyNames _names;
    private readonly ModelSeriesGate _gate;
    private readonly Gauge _exporting;
    private readonly RedisReadModel _model;
    private readonly CancellationTokenSource _stopping = new();
    private ConnectionMultiplexer? _redis;
    private Task _refresher = Task.CompletedTask;
    private long _oldestIdExpiry;
    private string? _epoch;
    private bool _stopped;
    private volatile string? _unavailable = "state not loaded from Redis yet";

    public RedisFeedbackStore(MetricsBook book, IOptions<StateOptions> options, IOptions<ReplyOptions> reply, TimeProvider time, ModelSeriesGate gate, IMetricFactory metrics, ILogger<RedisFeedbackStore> logger)
    {
        _gate = gate;
        _gate.Set(false);
        _exporting = metrics.CreateGauge(
            "feedback_metrics_model_series_exporter",
            "1 on the replica that writes the per-model series (with --state redis://… one replica holds that lease), else 0.");
        _book = book;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _names = new RedisKeyNames(_options.RedisPrefix);
        _outbox = new RedisOutbox(reply.Value.ParsedUrl is not null, reply.Value.QueueCapacity, _names, () => Db, time);
        _model = new RedisReadModel(book);
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

    public async ValueTask<ApplyResult[]> ApplyAsync(IReadOnlyList<FeedbackEvent> events, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        var request = RedisApplyRequest.Of(events);
        var results = new ApplyResult[events.Count];
        Array.Fill(results, ApplyResult.Duplicate);
        if (request.Groups.Count == 0)
        {
            return results;
        }

        var held = request.Groups.Select(g => _model.Get(g.Key)).ToList();
        RedisResult[] answer;
        try
        {
            answer = (RedisResult[])(await Db.ScriptEvaluateAsync(
                RedisScripts.Apply,
                [_names.Models, _names.Ids, .. request.Groups.SelectMany(g => _names.Of(g.Tag))],
                [request.ScriptArgument((long)_options.DedupeTtl.TotalMilliseconds, _options.DedupeMaxIds, _book.MaxClasses, _book.MaxKeys, [.. held.Select(h => h.Version)])]))!;
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            throw Fail(e);
        }

        ThrowIfRefused(request, answer);
        try
        {
            Interlocked.Exchange(ref _oldestIdExpiry, (long)(double)answer[0]);
            Complete(request, held, (RedisResult[])answer[2]!, results);
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            // Counted in Redis, but the answer could not be read (a defect): 503, so the broker redelivers and gets
            // a duplicate's answer; the next refresh reads the models back.
            throw Fail(e);
        }

        try
        {
            await _outbox.AddAsync([.. results.Where(r => r.Reply is not null).Select(r => r.Reply!)]);
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            // The events are counted in Redis: they are answered as counted (the broker gets their metric events in
            // the answer); only the copies for --reply_url are lost, counted as dropped.
            RedisLog.OutboxWriteFailed(_logger, results.Count(r => r.Reply is not null), e.Message);
            Fail(e);
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
                await ReadModelsAsync([(key, tag)]);
            }
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

    /// <summary>The script refused the request (class cap or model cap): nothing was written.</summary>
    private void ThrowIfRefused(RedisApplyRequest request, RedisResult[] answer)
    {
        var why = answer[0].Resp2Type == ResultType.BulkString ? (string?)answer[0] : null;
        if (why is not ("classes" or "models"))
        {
            return;
        }

        var e = request.Events[request.Groups[(int)answer[1] - 1].Events[(int)answer[2] - 1]];
        var count = (int)answer[3];
        throw Refused(e, request.Events.Count, why == "classes"
            ? $"This event would bring the model to {count} classes; at most {_book.MaxClasses} are kept per model (--max_classes)."
            : $"The server already keeps figures for {count} models; at most {_book.MaxKeys} are kept (--max_keys). Reset unused ones or raise the limit.");
    }

    /// <summary>
    /// Reads the script's answer: per model which events were counted and the state before them (or none when the
    /// state held was current); replays the counted events on a scratch copy of that state so each metric event
    /// carries the figures right after its event, and brings the read model to the state after the request.
    /// </summary>
    private void Complete(RedisApplyRequest request, List<RedisKeyState> held, RedisResult[] answer, ApplyResult[] results)
    {
        for (var g = 0; g < request.Groups.Count; g++)
        {
            var group = request.Groups[g];
            var reply = (RedisResult[])answer[g]!;
            var version = (long)reply[0];
            var applied = (string)reply[1]!;
            var classCount = (int)reply[2];
            var before = reply[3].IsNull ? held[g] : ParseBefore((RedisResult[])reply[3]!);
            var scratch = before.ToAggregate(group.Key, _time);
            var own = new List<DecodedFeedback>();
            for (var j = 0; j < group.Events.Count; j++)
            {
                if (applied[j] != '1')
                {
                    continue;
                }

                var e = request.Events[group.Events[j]];
                scratch.Apply(e.Feedback, _book.MaxClasses);
                var snapshot = scratch.Snapshot();
                results[group.Events[j]] = new ApplyResult(ApplyOutcome.Applied, snapshot, e.Reply(snapshot));
                own.Add(e.Feedback);
            }

            var after = RedisKeyState.Of(scratch.Snapshot(), version);
            var added = ((RedisResult[])reply[4]!).Select(r => (string)r!).ToArray();
            if (after.Classes.Length != classCount || !after.Classes.AsSpan(before.Classes.Length).SequenceEqual(added))
            {
                // The replay disagrees with Redis on the classes or their order (a defect): hold nothing for this
                // model, so the next refresh reads its whole state instead of a difference.
                RedisLog.ReplayMismatch(_logger, group.Key.ToString(), string.Join(", ", after.Classes), classCount);
                after = RedisKeyState.Unknown with { Version = version - 1 };
                own.Clear();
            }

            _model.Sync(group.Key, after, own);
        }
    }

    /// <summary>The state before the request, as the script read it (classes, cells, reward total, reward events).</summary>
    private static RedisKeyState ParseBefore(RedisResult[] before) =>
        RedisKeyState.Parse(0, (RedisResult[])before[0]!, (RedisResult[])before[1]!, (string)before[2]!, (string)before[3]!);

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

        [LoggerMessage(EventId = 41, EventName = "RedisOutboxWriteFailed", Level = LogLevel.Warning,
            Message = "{Count} event(s) were counted but their metric events could not be written to the Redis outbox and will not reach --reply_url: {Reason}")]
        public static partial void OutboxWriteFailed(ILogger logger, int count, string reason);

        [LoggerMessage(EventId = 42, EventName = "RedisStateLost", Level = LogLevel.Error,
            Message = "The Redis state changed from epoch {Old} to {New}: Redis lost its data (restarted without persistence, or replaced); the figures are loaded again from what it holds now")]
        public static partial void StateLost(ILogger logger, string old, string @new);
    }
}
