using CloudNative.CloudEvents;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Server.Options;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>The CloudEvent extensions the Seldon executor and the KServe logger set to say which model an event is about.</summary>
public static class IdentityExtensions
{
    public const string Deployment = "inferenceservicename";
    public const string Predictor = "endpoint";
    public const string Namespace = "namespace";
    public const string Model = "modelid";
    public const string RequestId = "requestid";

    /// <summary>Copied from each feedback event onto its metric event.</summary>
    public static readonly string[] All = [Deployment, Predictor, Namespace, Model, RequestId];

    public static MetricKey ResolveKey(CloudEvent cloudEvent, IdentityDefaults defaults)
    {
        var key = defaults.Resolve(Read(cloudEvent, Namespace), Read(cloudEvent, Deployment), Read(cloudEvent, Predictor), Read(cloudEvent, Model));
        LabelRules.Check("namespace", key.Namespace);
        LabelRules.Check("deployment (inferenceservicename)", key.Deployment);
        LabelRules.Check("predictor (endpoint)", key.Predictor);
        LabelRules.Check("model (modelid)", key.Model);
        return key;
    }

    public static string? Read(CloudEvent cloudEvent, string name) =>
        cloudEvent[name] switch
        {
            null => null,
            string s when s.Length == 0 => null,
            string s => s,
            var other => cloudEvent.GetAttribute(name)!.Format(other),
        };
}
