using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Storage.Redis;
using Microsoft.Extensions.Logging.Abstractions;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>Builds Redis stores for tests.</summary>
internal static class RedisStores
{
    public static RedisFeedbackStore Create(MetricsBook book, string url, string prefix, bool outbox, TimeSpan? refresh = null, Action<StateOptions>? configure = null, JoinLedger? join = null)
    {
        var state = new StateOptions
        {
            Mode = url,
            RedisPrefix = "test-" + prefix,
            DedupeTtl = TimeSpan.FromHours(1),
            DedupeMaxIds = 100_000,
            RedisRefreshInterval = refresh ?? TimeSpan.FromMilliseconds(100),
        };
        configure?.Invoke(state);
        return new(
            book,
            Microsoft.Extensions.Options.Options.Create(state),
            Microsoft.Extensions.Options.Options.Create(new ReplyOptions { Url = outbox ? "http://127.0.0.1:9/" : null }),
            TimeProvider.System,
            new ModelSeriesGate(),
            Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()),
            NullLogger<RedisFeedbackStore>.Instance,
            join);
    }
}
