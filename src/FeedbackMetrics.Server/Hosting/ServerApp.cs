using System.Net;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Alerts;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Exposition;
using FeedbackMetrics.Server.Ingest;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Problems;
using FeedbackMetrics.Server.Reply;
using FeedbackMetrics.Server.Security;
using FeedbackMetrics.Server.Storage;
using FeedbackMetrics.Server.Storage.Redis;
using FeedbackMetrics.Server.Storage.Sqlite;
using FeedbackMetrics.Server.WebView;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Prometheus;

namespace FeedbackMetrics.Server.Hosting;

/// <summary>The composition root: command line and options, services, middleware and endpoints.</summary>
public static class ServerApp
{
    /// <summary>The log levels the server sets for other libraries' categories, overridden by any configuration source.</summary>
    internal static readonly KeyValuePair<string, string?>[] LogLevelDefaults =
    [
        new("Logging:LogLevel:Microsoft.AspNetCore", nameof(LogLevel.Warning)),
        new("Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", nameof(LogLevel.None)),
        new("Logging:LogLevel:System.Net.Http.HttpClient", nameof(LogLevel.Warning)),
        new("Logging:LogLevel:Polly", nameof(LogLevel.Error)),
    ];

    /// <summary>Builds the server from Seldon-style arguments; null when --help was asked.</summary>
    public static WebApplication? Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var cli = SeldonCommandLine.Parse(args, Console.Out);
        if (cli is null)
        {
            return null;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(cli);
        StartupChecks.BeforeBinding(builder.Configuration);
        builder.Logging.ClearProviders();
        if (builder.Configuration[$"{ServerOptions.Section}:{nameof(ServerOptions.LogFormat)}"] == "json")
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }

        // Defaults for an operator reading kubectl logs: no per-request lines, no retry stack traces (ReplySender logs
        // one line per failed reply). They are the lowest configuration source, so Logging__LogLevel__<Category>
        // overrides each of them. ASP.NET's hosting diagnostics are off, not at Warning: while that category logs at any
        // level, ASP.NET starts an Activity and a log scope for every request, even with no trace listener, and it only
        // writes per-request lines (unhandled errors are logged by the exception handler's own category). What that
        // costs on one core is in docs/performance.md (Logging cost).
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LogLevelDefaults });

        builder.Services.AddServerOptions();
        AddServices(builder.Services, builder.Configuration);
        ConfigureKestrel(builder);
        customize?.Invoke(builder);

        // Last, so that what is protected and what is locked follow the configuration as it finally is.
        builder.Services.AddSecurity(builder.Configuration);
        if ((builder.Configuration.GetSection(StateOptions.Section).Get<StateOptions>() ?? new StateOptions()).Mode == "sqlite")
        {
            builder.Services.AddSingleton(sp => StateDirectoryLock.Acquire(sp.GetRequiredService<IOptions<StateOptions>>().Value.Dir));
        }

        var app = builder.Build();
        StartupChecks.BeforeStart(app);
        app.UseExceptionHandler();
        app.UseRouting();
        app.UseSecurity();
        app.UseRateLimiter();
        app.UseHttpMetrics(o =>
        {
            // The duration histogram alone carries requests by route, method and code (its _count); the separate
            // counter and in-progress gauge cost a middleware each on every request, about a fifth of our throughput.
            o.SetMetricFactory(app.Services.GetRequiredService<IMetricFactory>());
            o.RequestCount.Enabled = false;
            o.InProgress.Enabled = false;
        });
        app.MapGroup(string.Empty).ForSenders().MapIngestEndpoints();
        app.MapGroup(string.Empty).ForReaders().MapMetricsEndpoints();
        app.MapHealthEndpoints();
        app.MapAdminEndpoints();
        app.MapWebViewEndpoints();

        app.Lifetime.ApplicationStarted.Register(() => LogStart(app));
        return app;
    }

    /// <summary>The address Kestrel actually bound (useful with --http_port 0).</summary>
    public static Uri BoundAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

    private static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, Json.ServerJsonContext.Default));
        services.AddExceptionHandler<RejectionHandler>();
        services.AddIngestLimiter();
        services.TryAddTimeProvider();

        services.AddSingleton(sp => IdentityDefaults.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<CloudEventReader>();

        services.AddSingleton(sp =>
        {
            var decoding = sp.GetRequiredService<IOptions<DecodingOptions>>().Value;
            var limits = sp.GetRequiredService<IOptions<LimitsOptions>>().Value;
            return DecodingOptions.CreateSelector(decoding, limits.MaxClasses);
        });
        services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<IOptions<LimitsOptions>>().Value;
            var windows = sp.GetRequiredService<IOptions<WindowOptions>>().Value.Specs;
            var segments = sp.GetRequiredService<IOptions<SegmentOptions>>().Value;
            return new MetricsBook(limits.MaxKeys, limits.MaxClasses, windows, sp.GetRequiredService<TimeProvider>()) { MaxSegmentValues = segments.MaxValues };
        });
        services.AddSingleton(sp =>
        {
            var state = sp.GetRequiredService<IOptions<StateOptions>>().Value;
            return new DedupeWindow(state.DedupeTtl, state.DedupeMaxIds, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<JoinBook>();
        services.AddSingleton<IJoinFigures>(sp => sp.GetRequiredService<JoinBook>());
        services.AddSingleton(sp =>
        {
            var state = sp.GetRequiredService<IOptions<StateOptions>>().Value;
            var engineState = new EngineState(sp.GetRequiredService<MetricsBook>(), sp.GetRequiredService<JoinBook>(), sp.GetRequiredService<DedupeWindow>()) { TrackChanges = state.Mode == "sqlite" };
            return new FeedbackEngine(engineState, sp.GetRequiredService<IOptions<JoinOptions>>().Value.Limits, sp.GetRequiredService<TimeProvider>())
            {
                PostsReplies = sp.GetRequiredService<IOptions<ReplyOptions>>().Value.ParsedUrl is not null,
            };
        });
        services.AddSingleton<IFeedbackStore>(sp =>
        {
            var state = sp.GetRequiredService<IOptions<StateOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            var reply = sp.GetRequiredService<IOptions<ReplyOptions>>().Value;
            var outbox = (reply.ParsedUrl is not null, reply.QueueCapacity);
            IStateLog log = state.IsRedis
                ? new RedisStateLog(state, outbox, time, sp.GetRequiredService<ModelSeriesGate>(), sp.GetRequiredService<SharedAlerts>(), sp.GetRequiredService<IMetricFactory>(), sp.GetRequiredService<ILogger<RedisStateLog>>())
                : state.Mode == "memory" ? new MemoryStateLog() : new SqliteStateLog(state.Dir, time);
            return new EngineStore(
                sp.GetRequiredService<FeedbackEngine>(),
                log,
                outbox,
                time,
                sp.GetRequiredService<IMetricFactory>(),
                sp.GetRequiredService<ILogger<EngineStore>>());
        });
        services.AddSingleton<Readiness>();
        services.AddSingleton<AdminToken>();
        services.AddHostedService<StoreInitializer>();

        services.AddSingleton(Prometheus.Metrics.NewCustomRegistry());
        services.AddSingleton<IMetricFactory>(sp => Prometheus.Metrics.WithCustomRegistry(sp.GetRequiredService<CollectorRegistry>()));
        services.AddSingleton(sp =>
        {
            var counters = new ServerCounters(sp.GetRequiredService<IMetricFactory>(), sp.GetServices<IAcceptedEventObserver>());
            sp.GetRequiredService<CollectorRegistry>().AddBeforeCollectCallback(() => counters.SyncDropped(sp.GetRequiredService<IFeedbackStore>().Outbox.Dropped));
            return counters;
        });
        services.AddSingleton<JsonView>();
        services.AddSingleton(sp => new DomainExposition(
            sp.GetRequiredService<MetricsBook>(),
            sp.GetRequiredService<Readiness>(),
            sp.GetRequiredService<DecoderSelector>(),
            sp.GetRequiredService<IOptions<ReplyOptions>>().Value.EventType,
            sp.GetRequiredService<DedupeHorizon>(),
            sp.GetRequiredService<ClassDisplay>(),
            sp.GetRequiredService<IOptions<ExpositionOptions>>().Value.MaxExportedClasses,
            sp.GetRequiredService<AlertBoard>(),
            sp.GetRequiredService<ModelSeriesGate>(),
            sp.GetRequiredService<IJoinFigures>()));
        services.AddSingleton<ModelSeriesGate>();
        services.AddSingleton<SharedAlerts>();
        services.AddSingleton(sp => new ClassDisplay(sp.GetRequiredService<IOptions<ExpositionOptions>>().Value.ClassNames));
        services.AddSingleton<DedupeHorizon>();

        services.AddSingleton(sp => new SegmentReader(sp.GetRequiredService<IOptions<SegmentOptions>>().Value));
        services.AddSingleton<FeedbackIngest>();
        services.AddSingleton<AlertBoard>();
        services.AddSingleton<AlertEvents>();
        services.AddSingleton<KubernetesEventWriter>();
        services.AddSingleton<AlertLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertLoop>());
        services.AddSingleton<ReplyFactory>();
        services.AddHostedService<ReplySender>();
        services.AddHttpClient(ReplySender.ClientName)
            .AddResilienceHandler("reply", (pipeline, context) =>
            {
                var reply = context.ServiceProvider.GetRequiredService<IOptions<ReplyOptions>>().Value;
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = Math.Max(reply.Retries, 1),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                    ShouldHandle = reply.Retries == 0 ? _ => PredicateResult.False() : new HttpRetryStrategyOptions().ShouldHandle,
                });
                pipeline.AddTimeout(TimeSpan.FromSeconds(10));
            });
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder)
    {
        var server = builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        var limits = builder.Configuration.GetSection(LimitsOptions.Section).Get<LimitsOptions>() ?? new LimitsOptions();

        // WebApplication's constructor configures Kestrel, before the options are validated: check what it uses here.
        StartupChecks.ThrowIfInvalid(server, ServerOptions.Section, builder.Configuration);
        StartupChecks.ThrowIfInvalid(limits, LimitsOptions.Section, builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (IPAddress.TryParse(server.BindAddress, out var address))
            {
                kestrel.Listen(address, server.HttpPort);
            }
            else
            {
                kestrel.ListenAnyIP(server.HttpPort);
            }

            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = 0;
            kestrel.Limits.MaxRequestBodySize = limits.MaxBodyBytes + 1;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(5));
        });
    }

    private static void LogStart(WebApplication app)
    {
        var services = app.Services;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("FeedbackMetrics.Server");
        var server = services.GetRequiredService<IOptions<ServerOptions>>().Value;
        var decoding = services.GetRequiredService<IOptions<DecodingOptions>>().Value;
        var state = services.GetRequiredService<IOptions<StateOptions>>().Value;
        var reply = services.GetRequiredService<IOptions<ReplyOptions>>().Value;
        var stateText = state.Mode == "sqlite" ? $"sqlite in {state.Dir}" : state.Mode;
        Log.Started(logger, server.ModelName, BoundAddress(app).ToString(), decoding.StorageUri, string.Join(", ", decoding.EffectiveFeedbackTypes), stateText, reply.Url is { Length: > 0 } u ? u : "none");
        if (services.GetRequiredService<IOptions<SegmentOptions>>().Value is { By.Length: > 0 } segments)
        {
            Log.Segments(logger, string.Join(", ", segments.By), segments.MaxValues);
        }
        if (services.GetService<StateDirectoryLock>()?.NotHeldBecause is { } notLocked)
        {
            Log.StateDirectoryNotLocked(logger, state.Dir, notLocked);
        }

        if (services.GetRequiredService<IOptions<JoinOptions>>().Value.ElasticsearchUri is { Length: > 0 } es)
        {
            Log.ElasticsearchIgnored(logger, es);
        }
    }
}
