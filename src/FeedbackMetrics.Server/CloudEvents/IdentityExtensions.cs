using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Server.Options;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>
/// The CloudEvent extensions the Seldon executor and the KServe agent set to say which model an event is about, and
/// how they become a key: namespace from <c>namespace</c>, deployment from <c>inferenceservicename</c>, predictor from
/// <c>endpoint</c> when it is not empty, else <c>component</c> (the KServe agent sends <c>Ce-Endpoint</c> empty and
/// <c>Ce-Component: predictor</c>), model from the Open Inference Protocol response's <c>model_name</c> when the body
/// has one (KServe sends no <c>modelid</c>), else <c>modelid</c>; each missing one from Seldon's environment
/// variables, else "unknown".
/// </summary>
public static class IdentityExtensions
{
    public const string Deployment = "inferenceservicename";
    public const string Predictor = "endpoint";
    public const string Component = "component";
    public const string Namespace = "namespace";
    public const string Model = "modelid";
    public const string RequestId = "requestid";

    /// <summary>Copied from each feedback event onto its metric event, as Seldon's server does: identity, request id, protocol and trace context.</summary>
    public static readonly string[] Echoed = [Deployment, Predictor, Namespace, Model, RequestId, "protocol", "traceparent", "tracestate"];

    /// <summary>The key of an event; <paramref name="modelName"/> is the <c>model_name</c> of the response it carries, if any.</summary>
    public static MetricKey ResolveKey(IncomingEvent cloudEvent, IdentityDefaults defaults, string? modelName = null)
    {
        var endpoint = cloudEvent.Attribute(Predictor);
        var key = defaults.Resolve(cloudEvent.Attribute(Namespace), cloudEvent.Attribute(Deployment), endpoint ?? cloudEvent.Attribute(Component), modelName ?? cloudEvent.Attribute(Model));
        LabelRules.Check("namespace", key.Namespace);
        LabelRules.Check("deployment (inferenceservicename)", key.Deployment);
        LabelRules.Check(endpoint is null && cloudEvent.Attribute(Component) is not null ? "predictor (component)" : "predictor (endpoint)", key.Predictor);
        LabelRules.Check(modelName is null ? "model (modelid)" : "model (model_name of the response)", key.Model);
        return key;
    }
}
