using FeedbackMetrics.Core.Join;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// Where the state lives in Redis. Each (namespace, deployment) has a log of its own whose keys carry the hash tag
/// <c>{PREFIX/namespace/deployment}</c> (both parts percent-encoded), so a Redis Cluster spreads deployments over its
/// masters and one script checks and appends a deployment's change set atomically. What belongs to the whole state —
/// the epoch, the list of deployments, the snapshots, the exporter lease — carries the tag <c>{PREFIX}</c>.
/// </summary>
internal sealed class RedisKeyNames(string prefix)
{
    private readonly string _tagged = $"{{{prefix}}}";

    /// <summary>
    /// A hash: <c>epoch</c> (a random name set once: when it changes, Redis lost the state and a new one began),
    /// <c>snapshot</c> (the generation of the latest snapshot), <c>generations</c> (the last generation handed out).
    /// </summary>
    public RedisKey Head => $"{_tagged}:head";

    /// <summary>A set of the partitions (<see cref="PartitionOf"/>) change sets were ever appended to.</summary>
    public RedisKey Partitions => $"{_tagged}:partitions";

    /// <summary>A snapshot: a list of <see cref="StateImage"/> blobs.</summary>
    public RedisKey Snapshot(long generation) => $"{_tagged}:snapshot:{generation}";

    /// <summary>A hash beside each snapshot: per partition, the last change set of its log the snapshot holds.</summary>
    public RedisKey SnapshotThrough(long generation) => $"{_tagged}:snapshot:{generation}:through";

    /// <summary>The alerts the exporter lease holder last judged firing (<see cref="Diagnostics.SharedAlerts"/>), for the other replicas to list.</summary>
    public RedisKey Alerts => $"{_tagged}:alerts";

    /// <summary>The exporter lease: which replica writes the per-model series, judges the alerts and writes the snapshots.</summary>
    public RedisKey Exporter => $"{_tagged}:exporter";

    /// <summary>The partition a deployment's keys belong to: its namespace and deployment, percent-encoded.</summary>
    public static string PartitionOf(JoinScope scope) => $"{Uri.EscapeDataString(scope.Namespace)}/{Uri.EscapeDataString(scope.Deployment)}";

    /// <summary>A partition's head, a hash: <c>epoch</c> (the state's, set when it was made) and <c>version</c> (the last change set appended).</summary>
    public RedisKey PartitionHead(string partition) => $"{{{prefix}/{partition}}}:head";

    /// <summary>A partition's change sets, a stream whose entry ids are <c>VERSION-1</c>, trimmed behind each snapshot.</summary>
    public RedisKey PartitionLog(string partition) => $"{{{prefix}/{partition}}}:log";

    /// <summary>A partition's metric events waiting for the reply URL: a stream read through one consumer group.</summary>
    public RedisKey PartitionOutbox(string partition) => $"{{{prefix}/{partition}}}:outbox";
}
