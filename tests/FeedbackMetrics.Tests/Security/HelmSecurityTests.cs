using System.Net;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Tests.Deploy;
using FeedbackMetrics.Tests.Support;
using k8s.Models;

namespace FeedbackMetrics.Tests.Security;

/// <summary>The chart's sender identity, read protection and NetworkPolicy, rendered by a real helm and parsed into KubernetesClient's models.</summary>
[Category("Deploy")]
public sealed class HelmSecurityTests
{
    private static readonly string Chart = Tools.InRepo("charts", "feedback-metrics");

    private static readonly string[] Oidc =
    [
        "--set", "oidc.audience=feedback-metrics",
        "--set", $"oidc.subjects={{{TestIssuer.TriggerSubject}}}",
        "--set", "networkPolicy.enabled=true",
        "--set", "readToken.existingSecret=fm-read",
        "--set", "serviceMonitor.enabled=true",
    ];

    [TestCase(false)]
    [TestCase(true)]
    public void Helm_lint_strict_passes_with_oidc_on_and_off(bool oidc)
    {
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, .. oidc ? Oidc : []]);
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, "--set", "mode=knative", .. oidc ? new[] { "--set", "oidc.audience=feedback-metrics" } : []]);
    }

    [Test]
    public void Oidc_values_set_the_server_options_the_trigger_audience_and_the_scrape_token()
    {
        var manifests = Render(Oidc);
        var args = ChartSecurityChecks.ServerArgs(manifests);
        var values = SeldonCommandLine.Parse(args, TextWriter.Null)!;
        Assert.That(values["FeedbackMetrics:Security:OidcAudience"], Is.EqualTo("feedback-metrics"));
        Assert.That(values["FeedbackMetrics:Security:OidcIssuer"], Is.EqualTo("https://kubernetes.default.svc.cluster.local"));
        Assert.That(values["FeedbackMetrics:Security:OidcSubjects:0"], Is.EqualTo(TestIssuer.TriggerSubject));
        Assert.That(values["FeedbackMetrics:Security:OidcCaFile"], Is.EqualTo(ChartSecurityChecks.ServiceAccountCa));
        Assert.That(values["FeedbackMetrics:Security:OidcDiscoveryTokenFile"], Is.EqualTo(ChartSecurityChecks.ServiceAccountToken));
        Assert.That(values["FeedbackMetrics:Security:ProtectReads"], Is.EqualTo("token"));
        Assert.That(manifests.Single(m => m.Kind == "StatefulSet").As<V1StatefulSet>().Spec.Template.Spec.AutomountServiceAccountToken, Is.True);
        Assert.That(KnativeWiring.Triggers(manifests).Select(t => t.At("spec", "subscriber", "audience")), Is.EqualTo(new[] { "feedback-metrics", "feedback-metrics", "feedback-metrics" }), "every Trigger, the response ones too");
        Assert.That(manifests.Single(m => m.Kind == "ServiceMonitor").At("spec", "endpoints") is List<object> e && e[0] is Dictionary<object, object> endpoint
            && endpoint["authorization"] is Dictionary<object, object> auth && auth["credentials"] is Dictionary<object, object> c && (string)c["name"] == "fm-read", Is.True, "Prometheus scrapes with the read token");
        ChartSecurityChecks.Check(manifests, "oidc");

        var off = Render([]);
        Assert.That(ChartSecurityChecks.ServerArgs(off), Has.None.StartsWith("--oidc").And.None.StartsWith("--protect_reads"));
        Assert.That(KnativeWiring.Triggers(off).Select(t => t.At("spec", "subscriber", "audience")), Has.All.Null);
        Assert.That(off.Where(m => m.Kind == "NetworkPolicy"), Is.Empty);
    }

    [Test]
    public void The_network_policy_admits_the_broker_and_monitoring_namespaces_on_the_service_port_only()
    {
        var manifests = Render(["--set", "networkPolicy.enabled=true"]);
        var policy = manifests.Single(m => m.Kind == "NetworkPolicy").As<V1NetworkPolicy>();
        ChartSecurityChecks.CheckNetworkPolicy(policy, manifests, "defaults");
        Assert.That(ChartSecurityChecks.AdmittedNamespaces(policy), Is.EquivalentTo(new[] { "knative-eventing", "monitoring" }));

        var custom = Render(["--set", "networkPolicy.enabled=true", "--set", "networkPolicy.brokerNamespace=kafka-eventing", "--set", "networkPolicy.monitoringNamespace=observability", "--set", "service.port=9000", "--set", "port=9090"]);
        var customPolicy = custom.Single(m => m.Kind == "NetworkPolicy").As<V1NetworkPolicy>();
        ChartSecurityChecks.CheckNetworkPolicy(customPolicy, custom, "custom");
        Assert.That(ChartSecurityChecks.AdmittedNamespaces(customPolicy), Is.EquivalentTo(new[] { "kafka-eventing", "observability" }));
    }

    [Test]
    public void The_network_policy_lets_in_the_broker_prometheus_and_labelled_labelling_jobs_and_no_one_else()
    {
        var policy = Render(["--set", "networkPolicy.enabled=true"]).Single(m => m.Kind == "NetworkPolicy").As<V1NetworkPolicy>();
        AssertAdmissions(policy, "models");

        // deploy/k8s, rendered for the namespace seldon, lets in the same peers.
        var committed = Manifest.ParseAll(File.ReadAllText(Tools.InRepo("deploy", "k8s", "networkpolicy.yaml"))).Single().As<V1NetworkPolicy>();
        AssertAdmissions(committed, "seldon");
    }

    [Test]
    public void More_labelling_sources_are_added_by_label_or_by_namespace_and_the_client_label_can_be_dropped()
    {
        var values = Path.Combine(Path.GetTempPath(), $"fm-netpol-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(values, "networkPolicy:\n  enabled: true\n  clientPodLabels: [{app: labeller}]\n  extraFrom:\n" +
            "    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: labelling}}\n      podSelector: {matchLabels: {job: truth}}\n");
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, "-f", values]);
        var manifests = Render(["-f", values]);
        File.Delete(values);
        var policy = manifests.Single(m => m.Kind == "NetworkPolicy").As<V1NetworkPolicy>();
        ChartSecurityChecks.CheckNetworkPolicy(policy, manifests, "extended");

        Assert.That(ChartSecurityChecks.Admits(policy, "models", "models", new Dictionary<string, string> { ["app"] = "labeller" }), Is.True, "the labels chosen");
        Assert.That(ChartSecurityChecks.Admits(policy, "models", "models", ClientLabel), Is.False, "in place of the default one");
        Assert.That(ChartSecurityChecks.Admits(policy, "models", "labelling", new Dictionary<string, string> { ["job"] = "truth" }), Is.True, "the peer added");
        Assert.That(ChartSecurityChecks.Admits(policy, "models", "labelling", new Dictionary<string, string> { ["job"] = "other" }), Is.False, "only the pods the peer names");

        var none = Render(["--set", "networkPolicy.enabled=true", "--set-json", "networkPolicy.clientPodLabels=[]"]).Single(m => m.Kind == "NetworkPolicy").As<V1NetworkPolicy>();
        Assert.That(ChartSecurityChecks.Admits(none, "models", "models", ClientLabel), Is.False, "no client label, no pod peer");
        Assert.That(ChartSecurityChecks.AdmittedNamespaces(none), Is.EquivalentTo(new[] { "knative-eventing", "monitoring" }));
    }

    [Test]
    public void A_network_policy_in_knative_mode_is_refused_with_a_reason()
    {
        var (code, output) = Binaries.Run(Tools.Helm, "template", "fm", Chart, "--set", "mode=knative", "--set", "networkPolicy.enabled=true");
        Assert.That(code, Is.Not.Zero);
        Assert.That(output, Does.Contain("networkPolicy.enabled needs mode=kubernetes"));
    }

    [Test]
    public async Task The_rendered_oidc_arguments_verify_senders_against_a_cluster_like_issuer()
    {
        await using var issuer = await TestIssuer.StartAsync(tls: true, requiredToken: "pod-token");
        var tokenFile = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N") + "-token");
        await File.WriteAllTextAsync(tokenFile, "pod-token");
        try
        {
            // The chart's arguments as they are, but for the paths that only exist in a pod and what RunningServer sets.
            var rendered = ChartSecurityChecks.ServerArgs(Render([.. Oidc, "--set", $"oidc.issuer={issuer.Url}"]));
            var args = rendered
                .Select(a => a == ChartSecurityChecks.ServiceAccountCa ? issuer.CaPemFile! : a == ChartSecurityChecks.ServiceAccountToken ? tokenFile : a)
                .Where(a => a != "MetricsServer")
                .ToList();
            RemoveOption(args, "--http_port");
            RemoveOption(args, "--state_dir");
            RemoveOption(args, "--protect_reads");
            RemoveOption(args, "--read_token_file");
            await using var server = await RunningServer.StartAsync(args);

            using var accepted = await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token());
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await accepted.Content.ReadAsStringAsync());
            using var other = await SecurityClient.PostAsync(server, "2", "Bearer " + issuer.Token(subject: "system:serviceaccount:default:default"));
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "only the subjects of oidc.subjects send");
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    private static readonly Dictionary<string, string> ClientLabel = new() { ["feedback-metrics-client"] = "true" };

    /// <summary>Who the default policy admits: a pod of the broker's data plane, Prometheus, and in the release's namespace the pods with the client label.</summary>
    private static void AssertAdmissions(V1NetworkPolicy policy, string release)
    {
        var anyPod = new Dictionary<string, string> { ["app"] = "any" };
        Assert.That(ChartSecurityChecks.Admits(policy, release, "knative-eventing", anyPod), Is.True, "the broker's ingress and filter pods");
        Assert.That(ChartSecurityChecks.Admits(policy, release, "monitoring", anyPod), Is.True, "Prometheus");
        Assert.That(ChartSecurityChecks.Admits(policy, release, release, ClientLabel), Is.True, "a labelling job labelled as a client");
        Assert.That(ChartSecurityChecks.Admits(policy, release, release, anyPod), Is.False, "an unlabelled pod beside the server");
        Assert.That(ChartSecurityChecks.Admits(policy, release, "default", ClientLabel), Is.False, "the client label counts in the release's namespace only");
    }

    private static void RemoveOption(List<string> args, string name)
    {
        var i = args.IndexOf(name);
        if (i >= 0)
        {
            args.RemoveRange(i, 2);
        }
    }

    private static List<Manifest> Render(string[] values) =>
        Manifest.ParseAll(Tools.RunOk(Tools.Helm, ["template", "fm", Chart, "--namespace", "models", .. values]));
}
