using System.Collections.Concurrent;
using FeedbackMetrics.Server.Diagnostics;
using Prometheus;

namespace FeedbackMetrics.Server.Security;

/// <summary>Counters of refused credentials, rate-limited requests and accepted events by verified sender.</summary>
public sealed class SecurityCounters
{
    /// <summary>Distinct senders given their own label value; later ones are counted as "other".</summary>
    public const int MaxSenders = MetricFamilies.MaxLabelValues;

    private readonly Counter _refusals;
    private readonly Counter _senderEvents;
    private readonly Counter _rateLimited;
    private readonly ConcurrentDictionary<string, byte> _knownSenders = new(StringComparer.Ordinal);

    public SecurityCounters(IMetricFactory factory, SecurityPlan plan)
    {
        _refusals = factory.CreateCounter(MetricFamilies.AuthFailuresTotal);
        _senderEvents = factory.CreateCounter(MetricFamilies.SenderEventsTotal);
        _rateLimited = factory.CreateCounter(MetricFamilies.RateLimitedTotal);
        if (plan.VerifiesSenders)
        {
            foreach (var reason in RefusalReasons.Oidc)
            {
                _refusals.WithLabels(SecuredEndpoint.Ingest.Name, reason).IncTo(0);
            }
        }

        foreach (var reason in plan.ProtectReads == "oidc" ? RefusalReasons.Oidc : plan.ProtectReads == "token" ? RefusalReasons.StaticToken : [])
        {
            _refusals.WithLabels(SecuredEndpoint.Reads.Name, reason).IncTo(0);
        }
    }

    public void CountRefusal(SecuredEndpoint endpoint, string reason) => _refusals.WithLabels(endpoint.Name, reason).Inc();

    public void CountRateLimited(string partitionKind) => _rateLimited.WithLabels(partitionKind).Inc();

    public void CountSenderEvent(string subject)
    {
        var label = _knownSenders.ContainsKey(subject) || (_knownSenders.Count < MaxSenders && _knownSenders.TryAdd(subject, 0)) ? subject : "other";
        _senderEvents.WithLabels(label).Inc();
    }
}
