using FeedbackMetrics.Server.Options;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>Turns <c>--state redis://HOST:PORT[,HOST:PORT…]</c> (or <c>rediss://</c> for TLS) and the Redis options into a client configuration.</summary>
internal static class RedisConnection
{
    public static ConfigurationOptions Configure(StateOptions state)
    {
        var tls = state.Mode.StartsWith("rediss://", StringComparison.Ordinal);
        var hosts = state.Mode[(tls ? "rediss://".Length : "redis://".Length)..].TrimEnd('/');
        var options = new ConfigurationOptions
        {
            Ssl = tls,
            User = string.IsNullOrEmpty(state.RedisUser) ? null : state.RedisUser,
            Password = string.IsNullOrEmpty(state.RedisPassword) ? null : state.RedisPassword,
            ClientName = "feedback-metrics",

            // Keep trying in the background: the store answers 503 while Redis is away and recovers by itself.
            AbortOnConnectFail = false,

            // While disconnected, commands fail at once (503 to the sender, who retries) instead of waiting in a backlog.
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectTimeout = 5000,
            AsyncTimeout = 5000,
            SyncTimeout = 5000,
        };
        if (tls && !string.IsNullOrEmpty(state.RedisCaFile))
        {
            options.TrustIssuer(state.RedisCaFile);
        }

        foreach (var host in hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            options.EndPoints.Add(host.Contains(':', StringComparison.Ordinal) ? host : $"{host}:6379");
        }

        return options;
    }

    /// <summary>The endpoints as an operator wrote them, without any secret (for logs).</summary>
    public static string Describe(StateOptions state) => state.Mode;
}
