using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Security;

/// <summary>
/// The HTTP path to the token issuer's discovery document and key set, handed to JWT bearer authentication as its
/// backchannel: trusts the CA of <c>--oidc_ca_file</c> beside the system's roots, sends the token of
/// <c>--oidc_discovery_token_file</c> (re-read each time: a projected service-account token rotates), and remembers
/// whether the last read failed, so a token whose key cannot be known is answered 503 (retried) rather than 401.
/// </summary>
public sealed class IssuerBackchannel : DelegatingHandler
{
    private readonly string? _tokenFile;
    private readonly string _address;
    private readonly ILogger<IssuerBackchannel> _logger;
    private string? _lastFailure;

    public IssuerBackchannel(IOptions<SecurityOptions> options, ILogger<IssuerBackchannel> logger)
        : base(CreateTransport(options.Value.OidcCaFile))
    {
        _tokenFile = options.Value.OidcDiscoveryTokenFile is { Length: > 0 } file ? file : null;
        _address = options.Value.MetadataAddress;
        _logger = logger;
    }

    /// <summary>Why the last read of the issuer failed, or null when it succeeded (or none was made yet).</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            if (_tokenFile is not null)
            {
                var token = (await File.ReadAllTextAsync(_tokenFile, cancellationToken)).Trim();
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            var response = await base.SendAsync(request, cancellationToken);
            Record(response.IsSuccessStatusCode ? null : $"{request.RequestUri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            return response;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            Record($"{request.RequestUri}: {e.Message}");
            throw;
        }
    }

    private void Record(string? failure)
    {
        var previous = Interlocked.Exchange(ref _lastFailure, failure);
        if (failure is not null && previous is null)
        {
            SecurityLog.IssuerUnavailable(_logger, _address, failure);
        }
        else if (failure is null && previous is not null)
        {
            SecurityLog.IssuerRecovered(_logger, _address);
        }
    }

    private static SocketsHttpHandler CreateTransport(string? caFile)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        if (caFile is { Length: > 0 })
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                errors == SslPolicyErrors.None
                || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is X509Certificate2 leaf && IsTrustedBy(roots, leaf, chain));
        }

        return handler;
    }

    /// <summary>True when the certificate chains to one of <paramref name="roots"/> (host names are still checked by TLS itself).</summary>
    private static bool IsTrustedBy(X509Certificate2Collection roots, X509Certificate2 leaf, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(leaf);
    }
}
