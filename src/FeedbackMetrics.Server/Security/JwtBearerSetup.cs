using FeedbackMetrics.Server.Options;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// JWT bearer authentication set up for the sender's issuer: discovery from <c>{issuer}/.well-known/openid-configuration</c>
/// through <see cref="IssuerBackchannel"/>; the key set cached, re-read every <c>--oidc_automatic_refresh_interval</c> and on
/// an unknown key id at most once per <c>--oidc_refresh_interval</c>; issuer, audience, lifetime (with
/// <c>--oidc_clock_skew</c>) and an asymmetric signature required. JwtBearer builds its ConfigurationManager from these.
/// </summary>
internal sealed class JwtBearerSetup(IOptions<SecurityOptions> security, IssuerBackchannel backchannel) : IConfigureNamedOptions<JwtBearerOptions>
{
    /// <summary>The claim naming the sender: a Kubernetes token's <c>system:serviceaccount:NAMESPACE:NAME</c>.</summary>
    public const string SubjectClaim = "sub";

    /// <summary>The signature algorithms accepted: RSA and ECDSA (Kubernetes signs with RS256 or ES256), never none or HMAC.</summary>
    public static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name == JwtBearerDefaults.AuthenticationScheme)
        {
            Configure(options);
        }
    }

    public void Configure(JwtBearerOptions options)
    {
        var o = security.Value;
        options.MetadataAddress = o.MetadataAddress;
        options.RequireHttpsMetadata = o.OidcRequireHttpsMetadata;
        options.BackchannelHttpHandler = backchannel;
        options.BackchannelTimeout = TimeSpan.FromSeconds(10);
        options.RefreshOnIssuerKeyNotFound = true;
        options.RefreshInterval = o.OidcRefreshInterval;
        options.AutomaticRefreshInterval = o.OidcAutomaticRefreshInterval;
        options.MapInboundClaims = false;
        options.SaveToken = false;

        // Refusals are written by RefusalResultHandler (problem+json with a reason), not by the handler's challenge.
        options.IncludeErrorDetails = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = o.OidcIssuer,
            ValidAudience = o.OidcAudience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            // exp and nbf are judged against the system clock: Microsoft.IdentityModel 8 keeps its TimeProvider internal.
            ClockSkew = o.OidcClockSkew,
            ValidAlgorithms = AsymmetricAlgorithms,
            NameClaimType = SubjectClaim,
        };
    }
}
