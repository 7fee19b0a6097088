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
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData =
            [
                new("Logging:LogLevel:Microsoft.AspNetCore", nameof(LogLevel.Warning)),
                new("Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", nameof(LogLevel.None)),
                new("Logging:LogLevel:System.Net.Http.HttpClient", nameof(LogLevel.Warning)),
                new("Logging:LogLevel:Polly", nameof(LogLevel.Error)),
            ],
        });

        AddOptions(builder.Services);
        AddServices(builder.Services, builder.Configuration);
        ConfigureKestrel(builder);
        customize?.Invoke(builder);

        // Last, so that what is protected follows the configuration as it finally is.
        builder.Services.AddSecurity(builder.Configuration);

        var app = builder.Build();
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

    private static void AddOptions(IServiceCollection services)
    {
        services.AddOptions<ServerOptions>().BindConfiguration(ServerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DecodingOptions>().BindConfiguration(DecodingOptions.Section).ValidateDataAnnotations()
            .Validate(
                o => ClassDecoder.StorageUris.ContainsKey(o.StorageUri),
                $"--storage_uri must be one of: {string.Join(", ", ClassDecoder.StorageUris.Keys)}.")
            .Validate(o => DecodingOptions.OverrideError(o) is null, "--deployment_decoders is not valid; each item is NAMESPACE/DEPLOYMENT=DECODER[:THRESHOLD].")
            .ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ReplyOptions>().BindConfiguration(ReplyOptions.Section).ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.Url) || Uri.TryCreate(o.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https", "--reply_url must be an absolute http(s) URL.")
            .ValidateOnStart();
        services.AddOptions<StateOptions>().BindConfiguration(StateOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.DedupeTtl > TimeSpan.Zero, "--dedupe_ttl must be positive.")
            .Validate(o => o.RedisRefreshInterval > TimeSpan.Zero, "--redis_refresh_interval must be positive.")
            .Validate(o => o.RedisWaitTimeout > TimeSpan.Zero && o.RedisWaitTimeout <= TimeSpan.FromMinutes(1), "--redis_wait_timeout must lie between 00:00:00.001 and 00:01:00.")
            .ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section)
            .Validate(AdminOptions.TokenFileReadable, "--admin_token_file must name a readable file holding the token.").ValidateOnStart();
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Interval > TimeSpan.Zero, "--alert_interval must be positive.")
            .Validate(o => string.IsNullOrEmpty(o.KubernetesApi) || Uri.TryCreate(o.KubernetesApi, UriKind.Absolute, out _), "--kubernetes_api must be an absolute URL.")
            .ValidateOnStart();
        services.AddOptions<ExpositionOptions>().BindConfiguration(ExpositionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<JoinOptions>().BindConfiguration(JoinOptions.Section).ValidateDataAnnotations()
            .Validate(o => !o.EffectiveResponseTypes.Any(string.IsNullOrWhiteSpace), "--response_types must not name an empty type.")
            .ValidateOnStart();
        services.AddOptions<WindowOptions>().BindConfiguration(WindowOptions.Section).ValidateDataAnnotations().ValidateOnStart();
    }

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
            return new MetricsBook(limits.MaxKeys, limits.MaxClasses, windows, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp =>
        {
            var state = sp.GetRequiredService<IOptions<StateOptions>>().Value;
            return new DedupeWindow(state.DedupeTtl, state.DedupeMaxIds, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp => new JoinLedger(
            sp.GetRequiredService<IOptions<JoinOptions>>().Value.Limits,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<JoinBook>();
        services.AddSingleton<IJoinFigures>(sp => sp.GetRequiredService<IOptions<StateOptions>>().Value.IsRedis ? sp.GetRequiredService<JoinLedger>() : sp.GetRequiredService<JoinBook>());
        services.AddSingleton(sp =>
        {
            var state = sp.GetRequiredService<IOptions<StateOptions>>().Value;
            var engineState = new EngineState(sp.GetRequiredService<MetricsBook>(), sp.GetRequiredService<JoinBook>(), sp.GetRequiredService<DedupeWindow>()) { TrackChanges = state.Mode != "memory" };
            return new FeedbackEngine(engineState, sp.GetRequiredService<IOptions<JoinOptions>>().Value.Limits, sp.GetRequiredService<TimeProvider>())
            {
                PostsReplies = sp.GetRequiredService<IOptions<ReplyOptions>>().Value.ParsedUrl is not null,
            };
        });
        services.AddSingleton<IFeedbackStore>(sp =>
        {
            var state = sp.GetRequiredService<IOptions<StateOptions>>().Value;
            if (state.IsRedis)
            {
                return ActivatorUtilities.CreateInstance<RedisFeedbackStore>(sp);
            }

            var time = sp.GetRequiredService<TimeProvider>();
            var reply = sp.GetRequiredService<IOptions<ReplyOptions>>().Value;
            IStateLog log = state.Mode == "memory" ? new MemoryStateLog() : new SqliteStateLog(state.Dir, time);
            return new EngineStore(
                sp.GetRequiredService<FeedbackEngine>(),
                log,
                (reply.ParsedUrl is not null, reply.QueueCapacity),
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
        services.AddSingleton(sp => new ClassDisplay(sp.GetRequiredService<IOptions<ExpositionOptions>>().Value.ClassNames));
        services.AddSingleton<DedupeHorizon>();

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

    private static void ThrowIfInvalid<T>(T options)
        where T : class
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true))
        {
            throw new OptionsValidationException(typeof(T).Name, typeof(T), [.. results.Select(r => r.ErrorMessage ?? "invalid")]);
        }
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder)
    {
        var server = builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        var limits = builder.Configuration.GetSection(LimitsOptions.Section).Get<LimitsOptions>() ?? new LimitsOptions();

        // Kestrel is configured before the options are validated at start: check what it uses here, with the same message.
        ThrowIfInvalid(server);
        ThrowIfInvalid(limits);
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
        Log.Started(logger, server.ModelName, BoundAddress(app).ToString(), decoding.StorageUri, string.Join(", ", decoding.EffectiveFeedbackTypes), state.Mode, reply.Url is { Length: > 0 } u ? u : "none");
        if (services.GetRequiredService<IOptions<JoinOptions>>().Value.ElasticsearchUri is { Length: > 0 } es)
        {
            Log.ElasticsearchIgnored(logger, es);
        }
    }
}
