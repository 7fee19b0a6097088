using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Security;

/// <summary>The authentication scheme of <c>--protect_reads token</c>: succeeds when the request carries the read token as a bearer token.</summary>
internal sealed class ReadTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, BearerTokenFile token)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ReadToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header[7..].Trim().Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!token.Matches(header[7..].Trim()))
        {
            return Task.FromResult(AuthenticateResult.Fail(new WrongReadTokenException()));
        }

        var identity = new ClaimsIdentity([new Claim(JwtBearerSetup.SubjectClaim, "read-token")], SchemeName, JwtBearerSetup.SubjectClaim, null);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}

/// <summary>A bearer token that is not the read token.</summary>
internal sealed class WrongReadTokenException() : Exception("The bearer token is not the read token of --read_token_file.");
