using System.Globalization;
using System.Net;
using FeedbackMetrics.Core.State;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// <c>--redis_wait_replicas</c>: a request is acknowledged only once that many Redis replicas hold its writes, so an
/// acknowledged event survives the primary's failover, not only its restart.
/// </summary>
public sealed partial class RedisFeedbackStore
{
    /// <summary>The primary that holds this server's hash slot, where WAIT must run (found once, again after a fault).</summary>
    private EndPoint? _primary;

    /// <summary>
    /// WAIT on the primary of this server's hash slot: every write made so far on the multiplexer's connection to it,
    /// this request's included, must reach the replicas asked for within <c>--redis_wait_timeout</c>. Fewer is a 503:
    /// the events are counted on the primary, so the broker's redelivery is a duplicate, acknowledged once the
    /// replicas have it. WAIT holds that connection while it waits, so while replicas lag every request waits.
    /// </summary>
    private async Task WaitForReplicasAsync()
    {
        var wanted = _options.RedisWaitReplicas;
        if (wanted == 0)
        {
            return;
        }

        long reached;
        try
        {
            _primary ??= await Db.IdentifyEndpointAsync(_names.Models);
            var server = _redis!.GetServer(_primary ?? throw new StorageUnavailableException("Storage unavailable: Redis: no primary serves this server's keys."));
            reached = (long)await server.ExecuteAsync("WAIT", wanted, (long)_options.RedisWaitTimeout.TotalMilliseconds);
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            _primary = null;
            throw Fail(e);
        }

        if (reached < wanted)
        {
            _primary = null;
            throw new StorageUnavailableException(string.Create(
                CultureInfo.InvariantCulture,
                $"Storage unavailable: Redis: the writes reached {reached} of the {wanted} replicas --redis_wait_replicas asks for within {_options.RedisWaitTimeout.TotalMilliseconds} ms."));
        }
    }
}
