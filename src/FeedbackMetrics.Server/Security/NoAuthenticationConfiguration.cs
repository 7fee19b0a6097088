using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// The schemes take their settings from the server's own options (<c>--oidc_*</c>), not from an <c>Authentication</c>
/// configuration section, which this empty one stands for. With it the server registers authentication without
/// <c>AddAuthentication()</c>, whose data protection (unused by bearer tokens) would create and store keys at start.
/// </summary>
internal sealed class NoAuthenticationConfiguration : IAuthenticationConfigurationProvider
{
    public IConfiguration AuthenticationConfiguration { get; } = new ConfigurationBuilder().Build();
}
