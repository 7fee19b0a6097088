using System.Text.Json;
using System.Text.Json.Serialization;
using FeedbackMetrics.Core.Alerts;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Server.Alerts;

/// <summary>
/// The alerts firing as the lease holder passes them to the other replicas (<see cref="Diagnostics.SharedAlerts"/>):
/// JSON, each alert naming its rule; a replica reads them against its own rules and leaves out those it has no rule of.
/// </summary>
public static class SharedAlertCodec
{
    private static readonly JsonSerializerOptions Options = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static byte[] Write(IEnumerable<FiringAlert> firing) =>
        JsonSerializer.SerializeToUtf8Bytes(firing.Select(a => new Shared(a.Rule.Name, a.Key, a.Reading, a.Since)).ToList(), Options);

    public static List<FiringAlert> Read(byte[]? bytes, IReadOnlyList<AlertRule> rules)
    {
        if (bytes is null || bytes.Length == 0)
        {
            return [];
        }

        var byName = rules.ToDictionary(r => r.Name, StringComparer.Ordinal);
        return [.. (JsonSerializer.Deserialize<List<Shared>>(bytes, Options) ?? [])
            .Where(a => byName.ContainsKey(a.Rule))
            .Select(a => new FiringAlert(byName[a.Rule], a.Key, a.Reading, a.Since))];
    }

    private sealed record Shared(string Rule, MetricKey Key, AlertReading Reading, DateTimeOffset Since);
}
