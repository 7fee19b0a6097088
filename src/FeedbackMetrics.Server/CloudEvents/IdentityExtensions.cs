using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Server.Options;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>The CloudEvent extensions the Seldon executor and the KServe agent set to say which model an event is about.</summary>
public static class IdentityExtensions
{
    public const string Deployment = "inferenceservicename";
    public const string Predictor = "endpoint";
    public const string Namespace = "namespace";
    public const string Model = "modelid";
    public const string RequestId = "requestid";

    /// <summary>Copied from each feedback event onto its metric event, as Seldon's server does: identity, request id, protocol and trace context.</summary>
    public static readonly string[] Echoed = [Deployment, Predictor, Namespace, Model, RequestId, "protocol", "traceparent", "tracestate"];

    public static MetricKey ResolveKey(IncomingEvent cloudEvent, IdentityDefaults defaults)
    {
        var key = defaults.Resolve(cloudEvent.Attribute(Namespace), cloudEvent.Attribute(Deployment), cloudEvent.Attribute(Predictor), cloudEvent.Attribute(Model));
        LabelRules.Check("namespace", key.Namespace);
        LabelRules.Check("deployment (inferenceservicename)", key.Deployment);
        LabelRules.Check("predictor (endpoint)", key.Predictor);
        LabelRules.Check("model (modelid)", key.Model);
        return key;
    }
}
