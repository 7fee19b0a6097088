using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>Where counts live and how long redeliveries are recognised.</summary>
public sealed class StateOptions
{
    public const string Section = "FeedbackMetrics:State";

    [RegularExpression("^(memory|sqlite|rediss?://[^/?#]+/?)$")]
    public string Mode { get; set; } = "sqlite";

    /// <summary>True when <see cref="Mode"/> names a shared Redis (one server or a cluster).</summary>
    public bool IsRedis => Mode.StartsWith("redis://", StringComparison.Ordinal) || Mode.StartsWith("rediss://", StringComparison.Ordinal);

    public string Dir { get; set; } = "./data";

    public TimeSpan DedupeTtl { get; set; } = TimeSpan.FromHours(24);

    [Range(1, 100_000_000)]
    public int DedupeMaxIds { get; set; } = 1_000_000;

    /// <summary>Redis ACL user (none: the default user).</summary>
    public string? RedisUser { get; set; }

    /// <summary>Redis password; meant to come from the environment (a Kubernetes Secret), not the command line.</summary>
    public string? RedisPassword { get; set; }

    /// <summary>PEM file of the CA a <c>rediss://</c> server's certificate chains to (a private CA); none: the system's roots.</summary>
    public string? RedisCaFile { get; set; }

    /// <summary>Start of every Redis key this server writes, so several servers can share one Redis.</summary>
    [RegularExpression("^[A-Za-z0-9_.:-]+$")]
    public string RedisPrefix { get; set; } = "feedback-metrics";

    /// <summary>
    /// Redis replicas that must hold a request's writes before it is acknowledged (WAIT), so that an acknowledged event
    /// survives a failover; 0 acknowledges once the primary has it (and its append-only file, with appendfsync always).
    /// </summary>
    [Range(0, 16)]
    public int RedisWaitReplicas { get; set; }

    /// <summary>How long a request waits for <see cref="RedisWaitReplicas"/> before it is answered 503.</summary>
    public TimeSpan RedisWaitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the figures other replicas counted are read back from Redis.</summary>
    public TimeSpan RedisRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);
}
