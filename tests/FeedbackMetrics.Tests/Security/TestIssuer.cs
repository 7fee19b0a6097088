using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FeedbackMetrics.Tests.Security;

/// <summary>
/// A local OIDC issuer as the Kubernetes API server is one: a tiny Kestrel app on 127.0.0.1 serving
/// <c>/.well-known/openid-configuration</c> and <c>/openid/v1/jwks</c> (optionally over TLS from a test CA, optionally only
/// to callers with a bearer token), with RSA and EC keys made here, and tokens signed here.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    public const string Audience = "feedback-metrics";
    public const string TriggerSubject = "system:serviceaccount:seldon:feedback-metrics-feedback-oidc-eventing.knative.dev-trigger";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, IssuerKey> _published = new(StringComparer.Ordinal);
    private int _jwksReads;
    private int _discoveryReads;

    private TestIssuer(WebApplication app, string? caPemFile)
    {
        _app = app;
        CaPemFile = caPemFile;
        RsaKey = IssuerKey.Rsa("rsa-1");
        EcKey = IssuerKey.Ec("ec-1");
        Publish(RsaKey);
        Publish(EcKey);
    }

    /// <summary>The issuer URL (<c>iss</c> of its tokens), e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>With TLS: the PEM file of the CA that signed the issuer's certificate.</summary>
    public string? CaPemFile { get; }

    public IssuerKey RsaKey { get; }

    public IssuerKey EcKey { get; }

    public int JwksReads => Volatile.Read(ref _jwksReads);

    public int DiscoveryReads => Volatile.Read(ref _discoveryReads);

    /// <summary>The arguments that point the server at this issuer for <see cref="Audience"/>.</summary>
    public string[] ServerArgs(params string[] more) =>
        ["--state", "memory", "--oidc_audience", Audience, "--oidc_issuer", Url, .. CaPemFile is null ? new[] { "--oidc_require_https_metadata", "false" } : [], .. more];

    /// <summary>Starts an issuer; with <paramref name="tls"/> it serves https from a certificate of its own CA; with <paramref name="requiredToken"/> only callers sending it as a bearer token are served.</summary>
    public static async Task<TestIssuer> StartAsync(bool tls = false, string? requiredToken = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        string? caFile = null;
        X509Certificate2? certificate = null;
        if (tls)
        {
            (certificate, var caPem) = MakeCertificate();
            caFile = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N") + "-ca.pem");
            Directory.CreateDirectory(Path.GetDirectoryName(caFile)!);
            await File.WriteAllTextAsync(caFile, caPem);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        var issuer = new TestIssuer(app, caFile);
        app.MapGet("/.well-known/openid-configuration", (HttpContext context) =>
        {
            if (!issuer.Authorized(context, requiredToken))
            {
                return Results.Unauthorized();
            }

            Interlocked.Increment(ref issuer._discoveryReads);
            return Results.Text(issuer.Discovery(), "application/json");
        });
        app.MapGet("/openid/v1/jwks", (HttpContext context) =>
        {
            if (!issuer.Authorized(context, requiredToken))
            {
                return Results.Unauthorized();
            }

            Interlocked.Increment(ref issuer._jwksReads);
            return Results.Text(issuer.Jwks(), "application/jwk-set+json");
        });
        await app.StartAsync();
        issuer.Url = $"{(tls ? "https" : "http")}://127.0.0.1:{new Uri(ServerAddresses(app)).Port}";
        return issuer;
    }

    /// <summary>Serves this key in the key set from now on.</summary>
    public void Publish(IssuerKey key) => _published[key.Kid] = key;

    public void Withdraw(IssuerKey key) => _published.TryRemove(key.Kid, out _);

    /// <summary>A token as Knative's broker sends it: for the audience, from this issuer, valid for ten minutes, signed with the RSA key; every part can be changed.</summary>
    public string Token(
        string subject = TriggerSubject,
        string audience = Audience,
        string? issuer = null,
        IssuerKey? key = null,
        DateTime? notBefore = null,
        DateTime? expires = null,
        bool unsigned = false)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Url,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            IssuedAt = (notBefore ?? now.AddMinutes(-1)).AddSeconds(-1),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = unsigned ? null : (key ?? RsaKey).Credentials,
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (CaPemFile is not null)
        {
            File.Delete(CaPemFile);
        }
    }

    private static string ServerAddresses(WebApplication app) =>
        app.Services.GetService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer)) is Microsoft.AspNetCore.Hosting.Server.IServer server
            ? server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");

    private static (X509Certificate2 Certificate, string CaPem) MakeCertificate()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=test cluster CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=127.0.0.1", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = leafRequest.Create(ca, now.AddHours(-1), now.AddHours(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = leaf.CopyWithPrivateKey(leafKey);
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (certificate, ca.ExportCertificatePem());
    }

    private bool Authorized(HttpContext context, string? requiredToken) =>
        requiredToken is null || context.Request.Headers.Authorization.ToString() == "Bearer " + requiredToken;

    private string Discovery() => new JsonObject
    {
        ["issuer"] = Url,
        ["jwks_uri"] = Url + "/openid/v1/jwks",
        ["response_types_supported"] = new JsonArray("id_token"),
        ["subject_types_supported"] = new JsonArray("public"),
        ["id_token_signing_alg_values_supported"] = new JsonArray("RS256", "ES256"),
    }.ToJsonString();

    private string Jwks() => new JsonObject { ["keys"] = new JsonArray([.. _published.Values.Select(k => k.Jwk())]) }.ToJsonString();
}

/// <summary>A signing key of the test issuer: its id, its credentials and its public JWK.</summary>
public sealed class IssuerKey
{
    private readonly Func<JsonObject> _jwk;

    private IssuerKey(string kid, SigningCredentials credentials, Func<JsonObject> jwk)
    {
        Kid = kid;
        Credentials = credentials;
        _jwk = jwk;
    }

    public string Kid { get; }

    public SigningCredentials Credentials { get; }

    public static IssuerKey Rsa(string kid)
    {
        var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(false);
        return new IssuerKey(kid, new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = kid }, SecurityAlgorithms.RsaSha256), () => new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = "RS256",
            ["kid"] = kid,
            ["n"] = Base64Url.EncodeToString(parameters.Modulus),
            ["e"] = Base64Url.EncodeToString(parameters.Exponent),
        });
    }

    public static IssuerKey Ec(string kid)
    {
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ec.ExportParameters(false);
        return new IssuerKey(kid, new SigningCredentials(new ECDsaSecurityKey(ec) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256), () => new JsonObject
        {
            ["kty"] = "EC",
            ["use"] = "sig",
            ["alg"] = "ES256",
            ["kid"] = kid,
            ["crv"] = "P-256",
            ["x"] = Base64Url.EncodeToString(parameters.Q.X),
            ["y"] = Base64Url.EncodeToString(parameters.Q.Y),
        });
    }

    /// <summary>A shared-secret (HS256) key under an id the issuer publishes for RSA: the old algorithm-confusion attack.</summary>
    public static IssuerKey Hmac(string kid)
    {
        var key = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = kid };
        return new IssuerKey(kid, new SigningCredentials(key, SecurityAlgorithms.HmacSha256), () => throw new InvalidOperationException("a shared secret is never published"));
    }

    /// <summary>Another RSA key carrying this key's id: its signatures do not verify with the published key.</summary>
    public IssuerKey Impostor() => Rsa(Kid);

    public JsonObject Jwk() => _jwk();
}
