using FeedbackMetrics.Server.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// Where a protected endpoint's refusals are answered: RFC 9457 problem details with the reason (as the server's other
/// refusals), <c>WWW-Authenticate</c> on a 401, <c>Retry-After</c> on a 503, one log line naming the subject, one count.
/// Nothing of the request is read or counted.
/// </summary>
internal sealed class RefusalResultHandler(
    IProblemDetailsService problems,
    SecurityCounters counters,
    IOptions<SecurityOptions> options,
    IServiceProvider services,
    ILogger<RefusalResultHandler> logger) : IAuthorizationMiddlewareResultHandler
{
    /// <summary>Seconds a sender is asked to wait while the issuer cannot be read.</summary>
    public const int IssuerRetryAfterSeconds = 5;

    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var endpoint = context.GetEndpoint()?.Metadata.GetMetadata<SecuredEndpoint>();
        if (authorizeResult.Succeeded || endpoint is null)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        // Each scheme authenticates once per request; this returns the result the policy saw.
        AuthenticateResult? authentication = null;
        foreach (var scheme in policy.AuthenticationSchemes)
        {
            authentication = await context.AuthenticateAsync(scheme);
        }

        var verifiedSubject = authentication is { Succeeded: true } ? context.User.FindFirst(JwtBearerSetup.SubjectClaim)?.Value : null;
        var refusal = Refusal.Classify(
            context.Request, authentication, verifiedSubject, endpoint, options.Value, services.GetService<IssuerBackchannel>()?.LastFailure);
        counters.CountRefusal(endpoint, refusal.Reason);
        var claimed = verifiedSubject is null ? Refusal.ClaimedSubject(context.Request) : null;
        SecurityLog.RequestRefused(
            logger,
            endpoint.Name,
            context.Connection.RemoteIpAddress?.ToString() ?? "-",
            refusal.Status,
            refusal.Reason,
            verifiedSubject is not null ? Refusal.Quote(verifiedSubject) : claimed is { Length: > 0 } ? claimed : "-",
            verifiedSubject is not null ? " (verified)" : claimed is { Length: > 0 } ? " (claimed, not verified)" : "",
            refusal.Detail);

        context.Response.StatusCode = refusal.Status;
        if (refusal.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = refusal.Challenge;
        }
        else
        {
            context.Response.Headers.RetryAfter = IssuerRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = refusal.Status,
                Title = refusal.Status == StatusCodes.Status401Unauthorized ? "Unauthorized" : "Token issuer unavailable",
                Detail = refusal.Detail,
                Extensions = { ["reason"] = refusal.Reason },
            },
        });
    }
}
