using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// Turns off Microsoft.IdentityModel's "last known good" configuration, which goes on accepting tokens signed with
/// keys the issuer has withdrawn (for an hour by default): when a cluster drops a signing key, its tokens must stop
/// counting at once. A broken key set then refuses tokens (401, or 503 while the issuer cannot be read) instead.
/// </summary>
internal sealed class NoLastKnownGoodKeys : IPostConfigureOptions<JwtBearerOptions>
{
    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        if (options.ConfigurationManager is BaseConfigurationManager manager)
        {
            manager.UseLastKnownGoodConfiguration = false;
        }
    }
}
