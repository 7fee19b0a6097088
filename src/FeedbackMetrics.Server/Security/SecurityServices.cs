using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// Wires sender verification, read protection and the per-source rate limit into the server: services, the
/// authorization step (after routing, before the rate limiter, so limits are partitioned by verified subject) and the
/// conventions of the protected endpoints. <c>/healthz</c>, <c>/ready</c>, <c>/protocol</c> and the admin reset (which
/// keeps its own token) are never touched.
/// </summary>
public static class SecurityServices
{
    public const string SenderPolicy = "senders";
    public const string ReaderPolicy = "readers";

    /// <summary>Registers the options and, when something is protected, authentication and authorization.</summary>
    public static void AddSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddCheckedOptions<SecurityOptions>(SecurityOptions.Section);
        services.AddSingleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidator>();
        var plan = SecurityPlan.From(configuration);
        services.AddSingleton(plan);
        services.AddSingleton<SecurityCounters>();
        services.AddSourceRateLimiter();
        if (!plan.Any)
        {
            return;
        }

        services.AddAuthenticationCore();
        services.AddWebEncoders();
        services.AddSingleton<IAuthenticationConfigurationProvider, NoAuthenticationConfiguration>();
        var authentication = new AuthenticationBuilder(services);
        if (plan.UsesOidc)
        {
            services.AddSingleton<IssuerBackchannel>();
            services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
            authentication.AddJwtBearer();

            // After JwtBearer's own post-configuration, which builds the ConfigurationManager from the options above.
            services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, NoLastKnownGoodKeys>();
        }

        if (plan.ProtectReads == "token")
        {
            services.AddSingleton<BearerTokenFile>();
            authentication.AddScheme<AuthenticationSchemeOptions, ReadTokenHandler>(ReadTokenHandler.SchemeName, null);
        }

        if (plan.VerifiesSenders)
        {
            // The sender of each counted event is read from the request being handled.
            services.AddHttpContextAccessor();
            services.AddSingleton<IAcceptedEventObserver, SenderTally>();
        }

        services.AddSingleton<IAuthorizationHandler, SubjectRequirementHandler>();
        services.AddAuthorization(options =>
        {
            options.AddPolicy(SenderPolicy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new SubjectRequirement(ForReaders: false)));
            options.AddPolicy(ReaderPolicy, policy =>
            {
                if (plan.ProtectReads == "oidc")
                {
                    policy.AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().AddRequirements(new SubjectRequirement(ForReaders: true));
                }
                else
                {
                    policy.AddAuthenticationSchemes(ReadTokenHandler.SchemeName).RequireAuthenticatedUser();
                }
            });
        });
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RefusalResultHandler>();
    }

    /// <summary>Adds authentication and authorization to the pipeline when something is protected; call after routing, before the rate limiter.</summary>
    public static void UseSecurity(this WebApplication app)
    {
        var plan = app.Services.GetRequiredService<SecurityPlan>();
        if (plan.Any)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        app.Lifetime.ApplicationStarted.Register(() => LogStart(app.Services));
    }

    /// <summary>Marks the endpoints of <c>POST /</c>: verified senders when <c>--oidc_audience</c> is set, the per-source limit.</summary>
    public static RouteGroupBuilder ForSenders(this RouteGroupBuilder group)
    {
        group.WithMetadata(SecuredEndpoint.Ingest);
        if (group.ServiceProvider().GetRequiredService<SecurityPlan>().VerifiesSenders)
        {
            group.RequireAuthorization(SenderPolicy);
        }

        return group;
    }

    /// <summary>Marks the endpoints that serve figures: protected by <c>--protect_reads</c>.</summary>
    public static RouteGroupBuilder ForReaders(this RouteGroupBuilder group)
    {
        group.WithMetadata(SecuredEndpoint.Reads);
        if (group.ServiceProvider().GetRequiredService<SecurityPlan>().ProtectsReads)
        {
            group.RequireAuthorization(ReaderPolicy);
        }

        return group;
    }

    private static IServiceProvider ServiceProvider(this IEndpointRouteBuilder builder) => builder.ServiceProvider;

    private static void LogStart(IServiceProvider services)
    {
        var o = services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        _ = services.GetRequiredService<SecurityCounters>();
        var senders = o.VerifiesSenders
            ? $"verified (issuer {o.OidcIssuer}, audience '{o.OidcAudience}', subjects [{(o.OidcSubjects.Length == 0 ? "any" : string.Join(", ", o.OidcSubjects))}])"
            : "not verified (no --oidc_audience)";
        var reads = o.ProtectReads switch
        {
            "token" => "protected by the token of --read_token_file",
            "oidc" => $"protected by OIDC (subjects [{(o.ReadSubjects.Length == 0 ? "any" : string.Join(", ", o.ReadSubjects))}])",
            _ => "open",
        };
        var rate = o.MaxEventsPerSourcePerSecond > 0 ? $"{o.MaxEventsPerSourcePerSecond}/s" : "none";
        SecurityLog.SecurityStarted(services.GetRequiredService<ILoggerFactory>().CreateLogger("FeedbackMetrics.Server.Security"), senders, reads, rate);
    }
}
