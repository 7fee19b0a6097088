using FeedbackMetrics.Core.Identity;
using Microsoft.Extensions.Configuration;

namespace FeedbackMetrics.Server.Options;

/// <summary>Label values for events without identity extensions, from Seldon's environment variables, else "unknown".</summary>
public sealed record IdentityDefaults(string Namespace, string Deployment, string Predictor, string Model)
{
    public const string Unknown = "unknown";

    public static IdentityDefaults From(IConfiguration configuration)
    {
        string Read(string name) => configuration[name] is { Length: > 0 } v ? v : Unknown;
        return new IdentityDefaults(
            Read("SELDON_DEPLOYMENT_NAMESPACE"),
            Read("SELDON_DEPLOYMENT_ID"),
            Read("PREDICTOR_ID"),
            Read("PREDICTIVE_UNIT_ID"));
    }

    public MetricKey Resolve(string? ns, string? deployment, string? predictor, string? model) =>
        new(ns ?? Namespace, deployment ?? Deployment, predictor ?? Predictor, model ?? Model);
}
