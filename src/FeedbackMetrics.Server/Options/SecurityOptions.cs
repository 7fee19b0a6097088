using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>Who may send events and read figures: verified sender identity (OIDC), read protection, per-source rate limit.</summary>
public sealed class SecurityOptions
{
    public const string Section = "FeedbackMetrics:Security";

    /// <summary>The issuer of Kubernetes service-account tokens seen from inside the cluster.</summary>
    public const string ClusterIssuer = "https://kubernetes.default.svc.cluster.local";

    /// <summary>The audience every <c>POST /</c> token must carry; sender verification is off while it is empty.</summary>
    public string? OidcAudience { get; set; }

    public string OidcIssuer { get; set; } = ClusterIssuer;

    /// <summary>Accepted token subjects (e.g. <c>system:serviceaccount:NS:NAME</c>); empty: any subject of the issuer.</summary>
    public string[] OidcSubjects { get; set; } = [];

    /// <summary>Refuse discovery documents and key sets served over plain http (only tests on loopback turn this off).</summary>
    public bool OidcRequireHttpsMetadata { get; set; } = true;

    /// <summary>PEM file of a CA trusted, beside the system's roots, for the issuer's TLS certificate (the cluster CA).</summary>
    public string? OidcCaFile { get; set; }

    /// <summary>File of a bearer token sent with discovery and key-set requests (the pod's service-account token).</summary>
    public string? OidcDiscoveryTokenFile { get; set; }

    /// <summary>Tolerance on <c>exp</c> and <c>nbf</c> for clocks that disagree a little.</summary>
    public TimeSpan OidcClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Least time between two re-reads of the key set triggered by an unknown key id (the bounded refresh rate).</summary>
    public TimeSpan OidcRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the discovery document and key set are re-read anyway.</summary>
    public TimeSpan OidcAutomaticRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Protection of <c>GET /v1/metrics</c>: none, token (<see cref="ReadTokenFile"/>) or oidc (a token as for senders).</summary>
    [RegularExpression("^(none|token|oidc)$")]
    public string ProtectReads { get; set; } = "none";

    public string? ReadTokenFile { get; set; }

    /// <summary>With <c>--protect_reads oidc</c>: accepted reader subjects (e.g. Prometheus's service account); empty: any.</summary>
    public string[] ReadSubjects { get; set; } = [];

    /// <summary>Requests per second each source may send to <c>POST /</c> (its OIDC subject, else its IP); 0: no limit.</summary>
    [Range(0, 1_000_000)]
    public int MaxEventsPerSourcePerSecond { get; set; }

    public bool VerifiesSenders => !string.IsNullOrWhiteSpace(OidcAudience);

    public bool UsesOidc => VerifiesSenders || ProtectReads == "oidc";

    /// <summary>Where the issuer's OIDC discovery document is served.</summary>
    public string MetadataAddress => OidcIssuer.TrimEnd('/') + "/.well-known/openid-configuration";

    /// <summary>
    /// What is wrong with the combination of values: the option to change, what is wrong (<c>{value}</c>: its value as
    /// written), and what to do (null: give what it accepts).
    /// </summary>
    public static IEnumerable<(string Option, string Problem, string? Remedy)> Errors(SecurityOptions o)
    {
        if (!Uri.TryCreate(o.OidcIssuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("http" or "https"))
        {
            yield return ("oidc_issuer", "{value} is not an absolute http(s) URL", null);
        }
        else if (o.UsesOidc && o.OidcRequireHttpsMetadata && issuer.Scheme != "https")
        {
            yield return ("oidc_issuer", $"the issuer {o.OidcIssuer} is not https", "give an https issuer, or --oidc_require_https_metadata false for a test issuer on loopback");
        }

        if (o.ProtectReads == "oidc" && !o.VerifiesSenders)
        {
            yield return ("protect_reads", "--protect_reads oidc has no audience to check", "set --oidc_audience too (reader tokens carry the same audience)");
        }

        if (o.ProtectReads == "token" && string.IsNullOrWhiteSpace(o.ReadTokenFile))
        {
            yield return ("protect_reads", "--protect_reads token has no token", "set --read_token_file to a file holding the token");
        }

        if (o.OidcClockSkew < TimeSpan.Zero || o.OidcClockSkew > TimeSpan.FromMinutes(10))
        {
            yield return ("oidc_clock_skew", "{value} is out of range", null);
        }

        // The bounds of Microsoft.IdentityModel's ConfigurationManager, which refuses smaller values.
        if (o.OidcRefreshInterval < TimeSpan.FromSeconds(1))
        {
            yield return ("oidc_refresh_interval", "{value} is too short", null);
        }

        if (o.OidcAutomaticRefreshInterval < TimeSpan.FromMinutes(5))
        {
            yield return ("oidc_automatic_refresh_interval", "{value} is too short", null);
        }

        foreach (var (option, file) in new[] { ("oidc_ca_file", o.OidcCaFile), ("oidc_discovery_token_file", o.OidcDiscoveryTokenFile), ("read_token_file", o.ReadTokenFile) })
        {
            if (!string.IsNullOrWhiteSpace(file) && !File.Exists(file))
            {
                yield return (option, $"{file} does not exist", "give the path of an existing file");
            }
        }

        if (o.ProtectReads == "token" && o.ReadTokenFile is { Length: > 0 } tokenFile && File.Exists(tokenFile) && File.ReadAllText(tokenFile).Trim().Length == 0)
        {
            yield return ("read_token_file", $"{tokenFile} is empty", "write the token into it");
        }
    }
}
