using System.Text;
using FeedbackMetrics.Server.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// One refusal for credentials: the status (401, or 503 while the issuer cannot be read so that the broker retries),
/// the reason label, the RFC 6750 error code and a sentence saying what is wrong. <see cref="Classify"/> is the one
/// place where authentication outcomes become reasons.
/// </summary>
public sealed record Refusal(int Status, string Reason, string? Error, string Detail)
{
    /// <summary>Longest token field (issuer, key id, subject) quoted in a detail or a log line.</summary>
    private const int MaxQuoted = 200;

    /// <summary>The <c>WWW-Authenticate</c> value of a 401 (RFC 6750 section 3).</summary>
    public string Challenge => Error is null
        ? "Bearer realm=\"feedback-metrics\""
        : $"Bearer realm=\"feedback-metrics\", error=\"{Error}\", error_description=\"{HeaderSafe(Detail)}\"";

    /// <summary>Why a request that did not pass its policy was refused.</summary>
    /// <param name="request">The request, for its Authorization header.</param>
    /// <param name="authentication">The result of the policy's authentication scheme (null when it has none).</param>
    /// <param name="subject">The verified subject when authentication succeeded and a requirement failed.</param>
    /// <param name="endpoint">Senders or readers.</param>
    /// <param name="options">The security options, quoted in details.</param>
    /// <param name="issuerFailure">Why the last read of the issuer failed, or null.</param>
    public static Refusal Classify(HttpRequest request, AuthenticateResult? authentication, string? subject, SecuredEndpoint endpoint, SecurityOptions options, string? issuerFailure)
    {
        var staticToken = endpoint == SecuredEndpoint.Reads && options.ProtectReads == "token";
        if (authentication is { Succeeded: true })
        {
            var list = endpoint == SecuredEndpoint.Reads ? "--read_subjects" : "--oidc_subjects";
            return Unauthorized(RefusalReasons.SubjectNotAllowed, "invalid_token", $"Subject '{Quote(subject)}' is not allowed here ({list}).");
        }

        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            var what = staticToken ? "the read token of --read_token_file" : $"a token of issuer {options.OidcIssuer} for audience '{options.OidcAudience}'";
            return Unauthorized(RefusalReasons.MissingToken, null, $"No 'Authorization: Bearer <token>' header; this endpoint needs {what}.");
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header[7..].Trim().Length == 0)
        {
            return Unauthorized(RefusalReasons.MalformedHeader, "invalid_request", "The Authorization header is not 'Bearer <token>'.");
        }

        var failure = authentication?.Failure is AggregateException { InnerExceptions.Count: > 0 } all ? all.InnerExceptions[0] : authentication?.Failure;
        if (staticToken || failure is WrongReadTokenException)
        {
            return Unauthorized(RefusalReasons.WrongToken, "invalid_token", "The bearer token is not the read token of --read_token_file.");
        }

        var token = Parse(header[7..].Trim());
        return failure switch
        {
            // Order matters: some of these types derive from others.
            SecurityTokenInvalidAudienceException => Unauthorized(RefusalReasons.WrongAudience, "invalid_token", $"The token's audience is not '{options.OidcAudience}'."),
            SecurityTokenInvalidIssuerException => Unauthorized(RefusalReasons.WrongIssuer, "invalid_token", $"The token's issuer '{Quote(token?.Issuer)}' is not {options.OidcIssuer}."),
            SecurityTokenNoExpirationException => Unauthorized(RefusalReasons.NoExpiry, "invalid_token", "The token has no expiry (exp)."),
            SecurityTokenExpiredException e => Unauthorized(RefusalReasons.Expired, "invalid_token", $"The token expired at {e.Expires:yyyy-MM-ddTHH:mm:ssZ} (clock skew {options.OidcClockSkew})."),
            SecurityTokenNotYetValidException e => Unauthorized(RefusalReasons.NotYetValid, "invalid_token", $"The token is not valid before {e.NotBefore:yyyy-MM-ddTHH:mm:ssZ} (clock skew {options.OidcClockSkew})."),
            SecurityTokenInvalidAlgorithmException => Unauthorized(RefusalReasons.BadAlgorithm, "invalid_token", $"The token's algorithm '{Quote(token?.Alg)}' is not accepted (RSA or ECDSA signatures only)."),
            SecurityTokenSignatureKeyNotFoundException when issuerFailure is not null => new Refusal(
                StatusCodes.Status503ServiceUnavailable, RefusalReasons.IssuerUnavailable, null, $"The token issuer cannot be read to learn its signing keys; retry later. ({issuerFailure})"),
            SecurityTokenSignatureKeyNotFoundException => Unauthorized(RefusalReasons.UnknownKey, "invalid_token", $"The token is signed with key '{Quote(token?.Kid)}', which the issuer's key set does not hold (it was re-read, at most once per --oidc_refresh_interval)."),
            SecurityTokenInvalidSignatureException when token?.Alg is "none" || token?.EncodedSignature is { Length: 0 } => Unauthorized(RefusalReasons.Unsigned, "invalid_token", "The token is not signed (alg none)."),
            SecurityTokenInvalidSignatureException when token?.Alg is { } alg && !JwtBearerSetup.AsymmetricAlgorithms.Contains(alg) => Unauthorized(RefusalReasons.BadAlgorithm, "invalid_token", $"The token's algorithm '{Quote(alg)}' is not accepted (RSA or ECDSA signatures only)."),
            SecurityTokenInvalidSignatureException => Unauthorized(RefusalReasons.BadSignature, "invalid_token", "The token's signature does not verify with the issuer's key."),
            SecurityTokenMalformedException or ArgumentException => Unauthorized(RefusalReasons.MalformedToken, "invalid_token", "The bearer token is not a well-formed JWT."),
            _ when token is null => Unauthorized(RefusalReasons.MalformedToken, "invalid_token", "The bearer token is not a well-formed JWT."),
            _ => Unauthorized(RefusalReasons.InvalidToken, "invalid_token", "The token is not valid."),
        };
    }

    /// <summary>The subject a refused token claims (unverified), for the log line that traces a poisoned figure.</summary>
    public static string? ClaimedSubject(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Quote(Parse(header[7..].Trim())?.Subject) : null;
    }

    /// <summary>A token-borne string made safe to quote: no control characters, bounded length.</summary>
    public static string Quote(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var text = new StringBuilder(Math.Min(value.Length, MaxQuoted));
        foreach (var c in value.Length > MaxQuoted ? value[..MaxQuoted] : value)
        {
            text.Append(char.IsControl(c) ? '?' : c);
        }

        return value.Length > MaxQuoted ? text.Append('…').ToString() : text.ToString();
    }

    private static Refusal Unauthorized(string reason, string? error, string detail) => new(StatusCodes.Status401Unauthorized, reason, error, detail);

    private static JsonWebToken? Parse(string token)
    {
        try
        {
            return new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return null;
        }
    }

    /// <summary>RFC 6750's error_description allows printable ASCII except '"' and '\'.</summary>
    private static string HeaderSafe(string text)
    {
        var safe = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            safe.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '\'');
        }

        return safe.ToString();
    }
}
