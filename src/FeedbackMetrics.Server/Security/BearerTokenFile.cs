using System.Security.Cryptography;
using System.Text;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Security;

/// <summary>The static bearer token of <c>--read_token_file</c>, read once at start, compared in constant time.</summary>
public sealed class BearerTokenFile(IOptions<SecurityOptions> options)
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(File.ReadAllText(options.Value.ReadTokenFile!).Trim());

    public bool Matches(string token) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), _token);
}
