using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// Where the state log lives in Redis. Every key carries the one hash tag <c>{PREFIX}</c>, so on a Redis Cluster the
/// whole log of one server is in one hash slot and one script checks and appends a change set atomically.
/// </summary>
internal sealed class RedisKeyNames(string prefix)
{
    private readonly string _tagged = $"{{{prefix}}}";

    /// <summary>
    /// A hash: <c>epoch</c> (a random name set once: when it changes, Redis lost the state and a new one began),
    /// <c>version</c> (the last change set appended), <c>snapshot</c> and <c>snapshot_through</c> (the generation of
    /// the latest snapshot and the last change set it holds), <c>generations</c> (the last generation handed out).
    /// </summary>
    public RedisKey Head => $"{_tagged}:head";

    /// <summary>The change sets, a stream whose entry ids are <c>VERSION-1</c>, trimmed behind each snapshot.</summary>
    public RedisKey Log => $"{_tagged}:log";

    /// <summary>A snapshot: a list of <see cref="StateImage"/> blobs.</summary>
    public RedisKey Snapshot(long generation) => $"{_tagged}:snapshot:{generation}";

    /// <summary>The metric events waiting for the reply URL: a stream read through one consumer group.</summary>
    public RedisKey Outbox => $"{_tagged}:outbox";

    /// <summary>The exporter lease: which replica writes the per-model series and the snapshots.</summary>
    public RedisKey Exporter => $"{_tagged}:exporter";
}
