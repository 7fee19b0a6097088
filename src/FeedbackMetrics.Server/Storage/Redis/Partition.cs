using FeedbackMetrics.Core.Join;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>What a replica knows of one deployment's log on Redis: its keys and the last change set its state holds.</summary>
internal sealed class Partition(string name, RedisKeyNames names)
{
    /// <summary>The namespace and deployment, percent-encoded (<see cref="RedisKeyNames.PartitionOf"/>).</summary>
    public string Name { get; } = name;

    /// <summary>The deployment, once this replica has appended to it (a partition read from Redis has only its name).</summary>
    public JoinScope? Scope { get; set; }

    public RedisKey Head { get; } = names.PartitionHead(name);

    public RedisKey Log { get; } = names.PartitionLog(name);

    public RedisKey Outbox { get; } = names.PartitionOutbox(name);

    /// <summary>The last change set of this log the state holds.</summary>
    public long Applied { get; set; }

    /// <summary>True once the partition is in the list every replica follows.</summary>
    public bool Registered { get; set; }

    /// <summary>True when a commit to it was refused: the state must follow it before deciding again.</summary>
    public bool Stale { get; set; }

    /// <summary>The change sets a refused commit brought back, up to the head's version then: what catching up applies first.</summary>
    public (long Version, RedisResult[] Entries)? Missed { get; set; }
}
