using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Tests.Support;
using k8s.Models;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>
/// What a rendered set of manifests must satisfy for events to flow: every Trigger delivers to the server's own Service
/// a type the server handles, filters on nothing tied to one example model, and names a dead-letter sink that is among
/// the manifests (or a URI the user gave), whose pods the server's Service never selects.
/// </summary>
public static class KnativeWiring
{
    public const string FeedbackType = "io.seldon.serving.feedback";
    public const string SeldonResponseType = "io.seldon.serving.inference.response";
    public const string KServeResponseType = "org.kubeflow.serving.inference.response";

    /// <summary>The CloudEvent types the server counts or keeps with its own defaults (--feedback_types, --response_types).</summary>
    public static IReadOnlyList<string> TypesTheServerHandles() =>
        [.. new[] { "feedback_types", "response_types" }.SelectMany(name => SeldonCommandLine.Options.Single(o => o.Name == name).Default!.Split(','))];

    public static List<Manifest> Triggers(List<Manifest> manifests) => [.. manifests.Where(m => m.ApiVersion == "eventing.knative.dev/v1" && m.Kind == "Trigger")];

    public static string? FilterType(Manifest trigger) => (string?)trigger.At("spec", "filter", "attributes", "type");

    /// <summary>The server's workload pod labels: the StatefulSet's or Deployment's pods whose container is "server"; null in knative mode.</summary>
    public static IDictionary<string, string>? ServerPodLabels(List<Manifest> manifests)
    {
        foreach (var manifest in manifests.Where(m => m.ApiVersion == "apps/v1"))
        {
            var template = manifest.Kind switch
            {
                "StatefulSet" => manifest.As<V1StatefulSet>().Spec.Template,
                "Deployment" => manifest.As<V1Deployment>().Spec.Template,
                _ => null,
            };
            if (template?.Spec.Containers.Any(c => c.Name == "server") == true)
            {
                return template.Metadata.Labels;
            }
        }

        return null;
    }

    /// <summary>The name of the Service the Triggers must deliver to: the v1 Service selecting the server's pods, or the Knative Service.</summary>
    public static string ServerServiceName(List<Manifest> manifests)
    {
        var podLabels = ServerPodLabels(manifests);
        if (podLabels is null)
        {
            return manifests.Single(m => m.ApiVersion == "serving.knative.dev/v1" && m.Kind == "Service").Name;
        }

        return manifests.Where(m => m.ApiVersion == "v1" && m.Kind == "Service")
            .Single(m => Selects(m.As<V1Service>().Spec.Selector, podLabels)).Name;
    }

    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    /// <summary>Every Trigger delivers a handled type to the server, and every dead-letter sink it names exists among the manifests.</summary>
    public static void Check(List<Manifest> manifests, string where)
    {
        var server = ServerServiceName(manifests);
        var knativeMode = ServerPodLabels(manifests) is null;
        foreach (var trigger in Triggers(manifests))
        {
            var at = $"{where}: Trigger {trigger.Name}";
            Assert.That(trigger.At("spec", "subscriber", "ref", "name"), Is.EqualTo(server), $"{at} delivers to the server");
            Assert.That(trigger.At("spec", "subscriber", "ref", "apiVersion"), Is.EqualTo(knativeMode ? "serving.knative.dev/v1" : "v1"), at);
            Assert.That(TypesTheServerHandles(), Does.Contain(FilterType(trigger)), $"{at} filters on a type the server handles");
            Assert.That(((Dictionary<object, object>)trigger.At("spec", "filter", "attributes")!).Keys, Has.None.EqualTo("inferenceservicename"), $"{at} is not tied to one model");
            CheckDeadLetterSink(trigger, manifests, at);
        }
    }

    /// <summary>The sink a Trigger names: a Service among the manifests selecting a dead-letter Deployment's pods on its port, or an http(s) URI.</summary>
    public static void CheckDeadLetterSink(Manifest trigger, List<Manifest> manifests, string at)
    {
        if (trigger.At("spec", "delivery", "deadLetterSink") is null)
        {
            return;
        }

        if (trigger.At("spec", "delivery", "deadLetterSink", "uri") is string uri)
        {
            Assert.That(uri, Does.StartWith("http://").Or.StartWith("https://"), at);
            return;
        }

        Assert.That(trigger.At("spec", "delivery", "deadLetterSink", "ref", "apiVersion"), Is.EqualTo("v1"), at);
        Assert.That(trigger.At("spec", "delivery", "deadLetterSink", "ref", "kind"), Is.EqualTo("Service"), at);
        var name = (string)trigger.At("spec", "delivery", "deadLetterSink", "ref", "name")!;
        var service = manifests.SingleOrDefault(m => m.ApiVersion == "v1" && m.Kind == "Service" && m.Name == name);
        Assert.That(service, Is.Not.Null, $"{at}: its dead-letter sink {name} is created with it");
        var sinkService = service!.As<V1Service>();
        var deployment = manifests.Where(m => m.Kind == "Deployment").Select(m => m.As<V1Deployment>())
            .SingleOrDefault(d => Selects(sinkService.Spec.Selector, d.Spec.Template.Metadata.Labels));
        Assert.That(deployment, Is.Not.Null, $"{at}: the Service {name} selects the dead-letter pods");
        var container = deployment!.Spec.Template.Spec.Containers.Single();
        Assert.That(container.Ports.Select(p => p.Name), Does.Contain(sinkService.Spec.Ports.Single().TargetPort.Value), $"{at}: the sink's Service targets its container's port");
        var serverPods = ServerPodLabels(manifests);
        if (serverPods is not null)
        {
            var serverService = manifests.Single(m => m.ApiVersion == "v1" && m.Kind == "Service" && m.Name == ServerServiceName(manifests)).As<V1Service>();
            Assert.That(Selects(serverService.Spec.Selector, deployment.Spec.Template.Metadata.Labels), Is.False, $"{at}: the server's Service never sends to the dead-letter pods");
        }
    }

    /// <summary>The dead-letter sink's pod runs as a non-root user with a read-only root, no privileges and no API token.</summary>
    public static void CheckDeadLetterPod(V1Deployment deployment, string at)
    {
        var pod = deployment.Spec.Template.Spec;
        var container = pod.Containers.Single();
        Assert.That(pod.AutomountServiceAccountToken, Is.False, $"{at}: it needs no API access");
        Assert.That(pod.SecurityContext.RunAsNonRoot, Is.True, at);
        Assert.That(pod.SecurityContext.RunAsUser, Is.Positive, at);
        Assert.That(container.SecurityContext.AllowPrivilegeEscalation, Is.False, at);
        Assert.That(container.SecurityContext.ReadOnlyRootFilesystem, Is.True, at);
        Assert.That(container.SecurityContext.Capabilities.Drop, Does.Contain("ALL"), at);
        Assert.That(container.Resources.Limits.Keys, Does.Contain("memory"), at);
        Assert.That(container.ReadinessProbe.HttpGet.Path, Is.EqualTo("/healthz"), $"{at}: event_display answers /healthz");
    }
}
