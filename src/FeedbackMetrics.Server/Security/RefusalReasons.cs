namespace FeedbackMetrics.Server.Security;

/// <summary>Why a request was refused for its credentials: the values of the <c>reason</c> label and of the problem's <c>reason</c>.</summary>
public static class RefusalReasons
{
    public const string MissingToken = "missing_token";
    public const string MalformedHeader = "malformed_header";
    public const string MalformedToken = "malformed_token";
    public const string Unsigned = "unsigned";
    public const string BadSignature = "bad_signature";
    public const string UnknownKey = "unknown_key";
    public const string BadAlgorithm = "bad_algorithm";
    public const string WrongIssuer = "wrong_issuer";
    public const string WrongAudience = "wrong_audience";
    public const string Expired = "expired";
    public const string NotYetValid = "not_yet_valid";
    public const string NoExpiry = "no_expiry";
    public const string SubjectNotAllowed = "subject_not_allowed";
    public const string WrongToken = "wrong_token";
    public const string InvalidToken = "invalid_token";
    public const string IssuerUnavailable = "issuer_unavailable";

    /// <summary>Reasons of a token check (OIDC), pre-created at zero so a rate of refusals has a start.</summary>
    public static readonly IReadOnlyList<string> Oidc =
    [
        MissingToken, MalformedHeader, MalformedToken, Unsigned, BadSignature, UnknownKey, BadAlgorithm, WrongIssuer,
        WrongAudience, Expired, NotYetValid, NoExpiry, SubjectNotAllowed, InvalidToken, IssuerUnavailable,
    ];

    /// <summary>Reasons of a static read token.</summary>
    public static readonly IReadOnlyList<string> StaticToken = [MissingToken, MalformedHeader, WrongToken];
}
