using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Storage;
using FeedbackMetrics.Server.Storage.Redis;
using Microsoft.Extensions.Logging.Abstractions;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>Builds Redis state logs and stores over them for tests.</summary>
internal static class RedisStores
{
    /// <summary>A state log on the given Redis under the key prefix <c>test-PREFIX</c>, following every 100 ms unless told.</summary>
    public static RedisStateLog Log(string url, string prefix, bool outbox, TimeSpan? refresh = null, Action<StateOptions>? configure = null)
    {
        var state = new StateOptions
        {
            Mode = url,
            RedisPrefix = "test-" + prefix,
            RedisRefreshInterval = refresh ?? TimeSpan.FromMilliseconds(100),
        };
        configure?.Invoke(state);
        return new RedisStateLog(state, (outbox, 1000), TimeProvider.System, new ModelSeriesGate(), new SharedAlerts(), Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()), NullLogger.Instance);
    }

    /// <summary>A store of its own engine (ids kept an hour) over such a log; the join's figures as it shows them.</summary>
    public static (EngineStore Store, JoinBook Join) Create(MetricsBook book, string url, string prefix, bool outbox, TimeSpan? refresh = null, Action<StateOptions>? configure = null, JoinLimits? limits = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var join = new JoinBook();
        var engine = new FeedbackEngine(new EngineState(book, join, new DedupeWindow(TimeSpan.FromHours(1), 100_000, time)), limits ?? JoinLimits.Default, time) { PostsReplies = outbox };
        var store = new EngineStore(engine, Log(url, prefix, outbox, refresh, configure), (outbox, 1000), time, Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()), NullLogger<EngineStore>.Instance);
        return (store, join);
    }
}
