using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Configuration;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// What is protected, read from the raw configuration while services are registered and the pipeline is built: the
/// authentication services, the authorization middleware and the endpoint conventions exist only when something is
/// protected, so an unprotected server pays nothing for them. The values themselves are validated at start.
/// </summary>
public sealed record SecurityPlan(bool VerifiesSenders, string ProtectReads)
{
    public bool ProtectsReads => ProtectReads is "token" or "oidc";

    public bool UsesOidc => VerifiesSenders || ProtectReads == "oidc";

    public bool Any => VerifiesSenders || ProtectsReads;

    public static SecurityPlan From(IConfiguration configuration)
    {
        // Only two plain strings are read here: binding the whole section could fail on a bad value before validation
        // has the chance to report it properly.
        var section = configuration.GetSection(SecurityOptions.Section);
        return new SecurityPlan(
            !string.IsNullOrWhiteSpace(section[nameof(SecurityOptions.OidcAudience)]),
            section[nameof(SecurityOptions.ProtectReads)] is { Length: > 0 } reads ? reads : "none");
    }
}
