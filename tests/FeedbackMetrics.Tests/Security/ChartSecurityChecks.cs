using FeedbackMetrics.Tests.Deploy;
using FeedbackMetrics.Tests.Support;
using k8s.Models;

namespace FeedbackMetrics.Tests.Security;

/// <summary>What every rendered NetworkPolicy and Trigger must satisfy: the policy selects the server's pods on the Service's port and names its peers; triggers carry the audience the server requires.</summary>
public static class ChartSecurityChecks
{
    public const string ServiceAccountCa = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
    public const string ServiceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    public static void Check(List<Manifest> manifests, string where)
    {
        var args = ServerArgs(manifests);
        var audienceAt = Array.IndexOf(args, "--oidc_audience");
        var audience = audienceAt >= 0 ? args[audienceAt + 1] : null;
        foreach (var trigger in manifests.Where(m => m.Kind == "Trigger"))
        {
            Assert.That(trigger.At("spec", "subscriber", "audience"), Is.EqualTo(audience), $"{where}: trigger {trigger.Name} asks Knative for the audience the server requires");
        }

        foreach (var policy in manifests.Where(m => m.Kind == "NetworkPolicy").Select(m => m.As<V1NetworkPolicy>()))
        {
            CheckNetworkPolicy(policy, manifests, $"{where}: NetworkPolicy {policy.Metadata.Name}");
        }
    }

    /// <summary>The policy selects exactly the server's pods, admits only the Service's target port and names each peer by namespace or, within its own namespace, by pod labels.</summary>
    public static void CheckNetworkPolicy(V1NetworkPolicy policy, List<Manifest> manifests, string at)
    {
        var service = manifests.Single(m => m.ApiVersion == "v1" && m.Kind == "Service" && m.Name == KnativeWiring.ServerServiceName(manifests)).As<V1Service>();
        var statefulSet = manifests.Single(m => m.Kind == "StatefulSet").As<V1StatefulSet>();
        var podLabels = statefulSet.Spec.Template.Metadata.Labels;
        Assert.That(policy.Spec.PodSelector.MatchLabels, Is.EquivalentTo(service.Spec.Selector), $"{at}: selects the Service's pods");
        ManifestChecks.CheckSelectorMatches(policy.Spec.PodSelector.MatchLabels, podLabels, at);
        Assert.That(policy.Spec.PolicyTypes, Is.EqualTo(new[] { "Ingress" }), at);
        foreach (var other in manifests.Where(m => m.Kind == "Deployment").Select(m => m.As<V1Deployment>()))
        {
            Assert.That(KnativeWiring.Selects(policy.Spec.PodSelector.MatchLabels, other.Spec.Template.Metadata.Labels), Is.False, $"{at}: leaves the pods of {other.Metadata.Name} alone");
        }

        var container = statefulSet.Spec.Template.Spec.Containers.Single(c => c.Name == "server");
        var targetPorts = service.Spec.Ports.Select(p => p.TargetPort.Value).ToList();
        var rule = policy.Spec.Ingress.Single();
        Assert.That(rule.Ports, Is.Not.Empty, $"{at}: a rule without ports would admit every port");
        foreach (var port in rule.Ports)
        {
            Assert.That(targetPorts, Does.Contain(port.Port.Value), $"{at}: the admitted port is the Service's target port");
            Assert.That(port.Protocol, Is.EqualTo("TCP"), at);
            var named = container.Ports.SingleOrDefault(p => p.Name == port.Port.Value);
            Assert.That(named?.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(ManifestChecks.ArgValue([.. container.Args], "--http_port")), $"{at}: the named port is the one the server listens on");
        }

        Assert.That(rule.FromProperty, Is.Not.Empty, $"{at}: an empty 'from' would admit everyone");
        foreach (var peer in rule.FromProperty.Where(p => p.IpBlock is null))
        {
            var byNamespace = peer.NamespaceSelector?.MatchLabels?.ContainsKey("kubernetes.io/metadata.name") ?? peer.NamespaceSelector is not null;
            var byPodLabels = peer.NamespaceSelector is null && peer.PodSelector?.MatchLabels is { Count: > 0 };
            Assert.That(byNamespace || byPodLabels, Is.True, $"{at}: peers are chosen by namespace, or by pod labels within the policy's namespace");
        }
    }

    /// <summary>The namespaces the policy admits (by their kubernetes.io/metadata.name label).</summary>
    public static List<string> AdmittedNamespaces(V1NetworkPolicy policy) =>
        [.. policy.Spec.Ingress.SelectMany(r => r.FromProperty).Select(p => p.NamespaceSelector?.MatchLabels?["kubernetes.io/metadata.name"]).OfType<string>()];

    /// <summary>
    /// Whether the policy, living in <paramref name="policyNamespace"/>, lets a pod of <paramref name="podNamespace"/> with these labels in,
    /// as Kubernetes reads a peer: a namespaceSelector alone admits every pod of the matching namespaces, a podSelector alone the matching
    /// pods of the policy's own namespace, both together the matching pods of the matching namespaces. Namespaces carry only their
    /// kubernetes.io/metadata.name label here; the chart renders matchLabels, never expressions.
    /// </summary>
    public static bool Admits(V1NetworkPolicy policy, string policyNamespace, string podNamespace, IDictionary<string, string> podLabels)
    {
        var namespaceLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = podNamespace };
        return policy.Spec.Ingress.SelectMany(r => r.FromProperty).Any(peer =>
        {
            Assert.That(peer.NamespaceSelector?.MatchExpressions ?? [], Is.Empty);
            Assert.That(peer.PodSelector?.MatchExpressions ?? [], Is.Empty);
            var namespaceMatches = peer.NamespaceSelector is null ? podNamespace == policyNamespace : Matches(peer.NamespaceSelector, namespaceLabels);
            var podMatches = peer.PodSelector is null || Matches(peer.PodSelector, podLabels);
            return peer.IpBlock is null && namespaceMatches && podMatches;
        });
    }

    private static bool Matches(V1LabelSelector selector, IDictionary<string, string> labels) =>
        (selector.MatchLabels ?? new Dictionary<string, string>()).All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    public static string[] ServerArgs(List<Manifest> manifests)
    {
        var statefulSet = manifests.SingleOrDefault(m => m.Kind == "StatefulSet");
        var pod = statefulSet is not null
            ? statefulSet.As<V1StatefulSet>().Spec.Template.Spec
            : manifests.Single(m => m.ApiVersion == "serving.knative.dev/v1" && m.Kind == "Service").PartAs<V1PodSpec>(["spec", "template", "spec"], ["timeoutSeconds", "containerConcurrency"]);
        return [.. pod.Containers.Single(c => c.Name == "server").Args];
    }
}
