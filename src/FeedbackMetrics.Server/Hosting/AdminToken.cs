using System.Security.Cryptography;
using System.Text;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Hosting;

/// <summary>The bearer token of the admin endpoints, read once from --admin_token_file; none means they are disabled.</summary>
public sealed class AdminToken
{
    private readonly byte[]? _token;

    public AdminToken(IOptions<AdminOptions> options)
    {
        if (options.Value.TokenFile is { Length: > 0 } file)
        {
            var token = File.ReadAllText(file).Trim();
            _token = token.Length > 0 ? Encoding.UTF8.GetBytes(token) : throw new InvalidOperationException($"--admin_token_file {file} is empty.");
        }
    }

    public bool Enabled => _token is not null;

    /// <summary>True when the Authorization header carries the token (compared in constant time).</summary>
    public bool Accepts(string? authorization) =>
        _token is not null
        && authorization is not null
        && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization[7..].Trim()), _token);
}
