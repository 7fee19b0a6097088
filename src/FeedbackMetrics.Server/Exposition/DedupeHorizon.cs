using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>
/// How far back redeliveries are recognised: the age of the oldest remembered event id. At the TTL while
/// traffic is light; shorter once <c>--dedupe_max_ids</c> forgets ids before their TTL (busy servers).
/// </summary>
public sealed class DedupeHorizon(IFeedbackStore store, IOptions<StateOptions> options, TimeProvider time)
{
    public double Seconds()
    {
        if (store.DedupeHorizon is not { } oldestExpiry)
        {
            return options.Value.DedupeTtl.TotalSeconds;
        }

        // Between events nothing evicts expired ids, so the age is capped at the TTL: no id older than it is honoured.
        var ttl = options.Value.DedupeTtl.TotalSeconds;
        var rememberedAt = oldestExpiry - (long)options.Value.DedupeTtl.TotalMilliseconds;
        return Math.Clamp((time.GetUtcNow().ToUnixTimeMilliseconds() - rememberedAt) / 1000.0, 0, ttl);
    }
}
