using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Join;

/// <summary>Where request ids are matched: a truth joins a response of the same namespace and deployment.</summary>
public readonly record struct JoinScope(string Namespace, string Deployment)
{
    public static JoinScope Of(MetricKey key) => new(key.Namespace, key.Deployment);

    public override string ToString() => $"{Namespace}/{Deployment}";
}
