using System.Text.Json;
using FeedbackMetrics.Tests.Support;
using k8s.Models;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>The chart, linted and rendered by a real helm with several value sets; every document parsed and checked.</summary>
[Category("Deploy")]
public sealed class HelmChartTests
{
    private static readonly string Chart = Tools.InRepo("charts", "feedback-metrics");

    public static IEnumerable<TestCaseData> ValueSets() =>
    [
        new TestCaseData((object)Array.Empty<string>()).SetName("Chart_renders_valid_manifests(defaults)"),
        new TestCaseData((object)new[] { "--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true", "--set", "dashboard.enabled=true" }).SetName("Chart_renders_valid_manifests(monitoring)"),
        new TestCaseData((object)new[] { "--set", "persistence.enabled=false", "--set", "adminToken.existingSecret=fm-admin", "--set", "args.max_keys=500", "--set", "args.storage_uri=adserver.cm_models.binary_metrics.BinaryMetrics", "--set", "args.binary_threshold=0.7" }).SetName("Chart_renders_valid_manifests(options)"),
        new TestCaseData((object)new[] { "--set", "mode=knative", "--set", "knative.createBroker=true", "--set", "knative.delivery.deadLetterSinkUri=http://dlq.svc", "--set", "prometheusRule.enabled=true" }).SetName("Chart_renders_valid_manifests(knative)"),
        new TestCaseData((object)new[] { "--set", "knative.deadLetterSink.create=true", "--set", "networkPolicy.enabled=true", "--set", "knative.createBroker=true" }).SetName("Chart_renders_valid_manifests(dead letters)"),
        new TestCaseData((object)new[] { "--set", "mode=knative", "--set", "knative.deadLetterSink.create=true" }).SetName("Chart_renders_valid_manifests(knative dead letters)"),
        new TestCaseData((object)new[] { "--set", "oidc.audience=feedback-metrics", "--set", "oidc.subjects={system:serviceaccount:seldon:feedback-metrics-feedback-oidc-eventing.knative.dev-trigger}", "--set", "networkPolicy.enabled=true", "--set", "readToken.existingSecret=fm-read", "--set", "serviceMonitor.enabled=true" }).SetName("Chart_renders_valid_manifests(oidc)"),
        new TestCaseData((object)new[] { "--set", "mode=knative", "--set", "oidc.audience=feedback-metrics" }).SetName("Chart_renders_valid_manifests(knative oidc)"),
    ];

    [TestCaseSource(nameof(ValueSets))]
    public void Chart_renders_valid_manifests(string[] values)
    {
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, .. values]);
        var rendered = Tools.RunOk(Tools.Helm, ["template", "fm", Chart, "--namespace", "models", .. values]);
        CheckAll(Manifest.ParseAll(rendered), string.Join(' ', values));
    }

    [TestCase("kubernetes")]
    [TestCase("knative")]
    public void Kubernetes_events_for_alerts_bring_their_own_service_account_and_just_the_rights_they_need(string mode)
    {
        string[] values = ["--set", $"mode={mode}", "--set", "args.kubernetes_events=true", "--set", "args.alert_rules=/etc/feedback-metrics/rules.yaml"];
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, .. values]);
        var manifests = Manifest.ParseAll(Tools.RunOk(Tools.Helm, ["template", "fm", Chart, "--namespace", "models", .. values]));

        var account = manifests.Single(m => m.Kind == "ServiceAccount").As<V1ServiceAccount>();
        var role = manifests.Single(m => m.Kind == "ClusterRole").As<V1ClusterRole>();
        var binding = manifests.Single(m => m.Kind == "ClusterRoleBinding").As<V1ClusterRoleBinding>();
        Assert.That(role.Rules.Single(r => r.Resources.Contains("events")).Verbs, Is.EqualTo(new[] { "create" }));
        Assert.That(role.Rules.Single(r => r.ApiGroups.Contains("machinelearning.seldon.io")).Resources, Is.EqualTo(new[] { "seldondeployments" }));
        Assert.That(role.Rules.Single(r => r.ApiGroups.Contains("serving.kserve.io")).Resources, Is.EqualTo(new[] { "inferenceservices" }));
        Assert.That(role.Rules.SelectMany(r => r.Verbs).Distinct(), Is.EquivalentTo(new[] { "create", "get" }), "nothing more than it uses");
        Assert.That((binding.RoleRef.Name, binding.Subjects.Single().Name, binding.Subjects.Single().NamespaceProperty), Is.EqualTo((role.Metadata.Name, account.Metadata.Name, "models")));
        var pod = mode == "kubernetes"
            ? manifests.Single(m => m.Kind == "StatefulSet").As<V1StatefulSet>().Spec.Template.Spec
            : manifests.Single(m => m.Kind == "Service" && m.ApiVersion == "serving.knative.dev/v1").PartAs<V1PodSpec>(["spec", "template", "spec"], ["timeoutSeconds", "containerConcurrency"]);
        Assert.That(pod.ServiceAccountName, Is.EqualTo(account.Metadata.Name));
        Assert.That(ManifestChecks.ArgValue([.. pod.Containers.Single().Args], "--kubernetes_events"), Is.EqualTo("true"));
        Assert.That(Manifest.ParseAll(Tools.RunOk(Tools.Helm, ["template", "fm", Chart])).Select(m => m.Kind), Has.None.EqualTo("ClusterRole"), "no rights without the option");
    }

    [Test]
    public void Alert_rules_in_values_reach_the_server_as_a_mounted_file_it_accepts()
    {
        var values = Path.Combine(Path.GetTempPath(), $"fm-alert-values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(values, "alerts:\n  rules:\n    - {name: accuracy-drop, metric: accuracy, below: 0.8, min_observations: 50, selector: {namespace: seldon}}\n" +
            "    - {name: beyond-noise, metric: accuracy, window: last_100, outside_interval: below, min_observations: 30}\n" +
            "  classNames:\n    seldon/iris: [setosa, versicolor, virginica]\n");
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, "-f", values]);
        var manifests = Manifest.ParseAll(Tools.RunOk(Tools.Helm, ["template", "fm", Chart, "--namespace", "models", "-f", values]));
        File.Delete(values);

        var configMap = manifests.Single(m => m.Kind == "ConfigMap" && m.Name.EndsWith("-alert-rules", StringComparison.Ordinal)).As<V1ConfigMap>();
        var (rules, classNames, errors) = FeedbackMetrics.Core.Alerts.AlertRuleFile.Parse(configMap.Data["rules.yaml"], ["last_100", "1h"]);
        Assert.That(errors, Is.Empty, "the server's own parser accepts what the chart renders");
        Assert.That((rules[0].Name, rules[0].Threshold, rules[0].Selector.Namespace), Is.EqualTo(("accuracy-drop", 0.8, "seldon")));
        Assert.That((rules[1].Window, rules[1].Comparison), Is.EqualTo(("last_100", FeedbackMetrics.Core.Alerts.AlertComparison.IntervalBelowCumulative)));
        Assert.That(classNames["seldon/iris"], Is.EqualTo(new[] { "setosa", "versicolor", "virginica" }));
        var pod = manifests.Single(m => m.Kind == "StatefulSet").As<V1StatefulSet>().Spec.Template.Spec;
        var mount = pod.Containers.Single().VolumeMounts.Single(v => v.Name == "alert-rules");
        Assert.That(pod.Volumes.Single(v => v.Name == "alert-rules").ConfigMap.Name, Is.EqualTo(configMap.Metadata.Name));
        Assert.That(ManifestChecks.ArgValue([.. pod.Containers.Single().Args], "--alert_rules"), Is.EqualTo(mount.MountPath + "/rules.yaml"));
    }

    [Test]
    public void Schema_refuses_a_wrong_value_with_a_message()
    {
        var (code, output) = Binaries.Run(Tools.Helm, "template", "fm", Chart, "--set", "mode=swarm");
        Assert.That(code, Is.Not.Zero);
        Assert.That(output, Does.Contain("mode"));
    }

    [Test]
    public void Manifests_in_deploy_are_exactly_what_the_chart_renders()
    {
        var fresh = Path.Combine(Path.GetTempPath(), "fm-render", Guid.NewGuid().ToString("N"));
        Tools.RunOk("bash", "scripts/render-deploy.sh", fresh);
        var rendered = Directory.GetFiles(fresh, "*.yaml", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(fresh, f)).Order().ToList();
        foreach (var relative in rendered)
        {
            var committed = Tools.InRepo("deploy", relative);
            Assert.That(File.Exists(committed), Is.True, $"deploy/{relative} is missing: run bash scripts/render-deploy.sh");
            Assert.That(File.ReadAllText(committed), Is.EqualTo(File.ReadAllText(Path.Combine(fresh, relative))), $"deploy/{relative} differs from the chart: run bash scripts/render-deploy.sh");
        }

        // The hand-written rule tests aside, every file in deploy/ is rendered: none left over from an older layout.
        var committedFiles = Directory.GetFiles(Tools.InRepo("deploy"), "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Tools.InRepo("deploy"), f)).Where(f => !f.EndsWith(".test.yaml", StringComparison.Ordinal)).Order();
        Assert.That(committedFiles, Is.EqualTo(rendered), "deploy/ holds exactly the rendered files");
        Directory.Delete(fresh, recursive: true);
    }

    [TestCase("k8s")]
    [TestCase("knative")]
    public void Every_file_in_deploy_parses_and_checks(string folder)
    {
        // kubectl apply -f <folder>/ reads the folder's own files, not its subfolders: those are what one apply creates.
        var manifests = ManifestsIn("deploy", folder);
        CheckAll(manifests, $"deploy/{folder}");
        Assert.That(KnativeWiring.Triggers(manifests).Select(KnativeWiring.FilterType), Is.EquivalentTo(new[] { KnativeWiring.FeedbackType, KnativeWiring.SeldonResponseType, KnativeWiring.KServeResponseType }));
        Assert.That(KnativeWiring.Triggers(manifests).Select(t => t.At("spec", "delivery", "deadLetterSink", "ref", "name")), Has.All.Not.Null, "every Trigger names a dead-letter sink created beside it");
        Assert.That(manifests.Select(m => m.Kind), Has.None.EqualTo("Broker"), "applying the folder never changes a Broker that is there");
        Assert.That(manifests.Select(m => m.ApiVersion), Has.None.StartWith("monitoring.coreos.com/"), "nothing that needs the Prometheus Operator's CRDs");
        Assert.That(manifests.Select(m => m.Kind), folder == "knative" ? Is.SupersetOf(new[] { "Service", "Trigger", "Deployment" }) : Is.SupersetOf(new[] { "StatefulSet", "Service", "ConfigMap", "Trigger", "Deployment", "NetworkPolicy" }));
    }

    [Test]
    public void The_prometheus_operator_files_of_deploy_stand_apart_and_select_the_server()
    {
        var operatorKinds = ManifestsIn("deploy", "k8s", "prometheus-operator");
        Assert.That(operatorKinds.Select(m => m.Kind), Is.EquivalentTo(new[] { "ServiceMonitor", "PrometheusRule" }));
        CheckAll([.. ManifestsIn("deploy", "k8s"), .. operatorKinds], "deploy/k8s with deploy/k8s/prometheus-operator");
    }

    [Test]
    public void The_broker_of_deploy_has_no_delivery_settings_to_impose()
    {
        var broker = ManifestsIn("deploy", "broker").Single();
        Assert.That((broker.Kind, broker.Name), Is.EqualTo(("Broker", "default")));
        Assert.That(broker.At("spec", "delivery"), Is.Null, "each Trigger carries its own delivery");
        Assert.That(ManifestsIn("deploy", "k8s").Concat(ManifestsIn("deploy", "knative")).Where(m => m.Kind == "Trigger").Select(t => t.At("spec", "broker")), Has.All.EqualTo(broker.Name));
    }

    [Test]
    public async Task Probe_paths_of_the_manifests_are_served_by_the_server()
    {
        var statefulSet = Manifest.ParseAll(File.ReadAllText(Tools.InRepo("deploy", "k8s", "statefulset.yaml"))).Single().As<V1StatefulSet>();
        var container = statefulSet.Spec.Template.Spec.Containers.Single();
        await using var server = await RunningServer.StartAsync();
        foreach (var path in new[] { container.ReadinessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Path, statefulSet.Spec.Template.Metadata.Annotations["prometheus.io/path"] })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.That(response.IsSuccessStatusCode, Is.True, path);
        }
    }

    private static List<Manifest> ManifestsIn(params string[] folder) =>
        [.. Directory.GetFiles(Tools.InRepo(folder), "*.yaml").Order().SelectMany(f => Manifest.ParseAll(File.ReadAllText(f)))];

    internal static void CheckAll(List<Manifest> manifests, string where)
    {
        Assert.That(manifests, Is.Not.Empty, where);
        var serverPodLabels = KnativeWiring.ServerPodLabels(manifests);
        foreach (var manifest in manifests)
        {
            var at = $"{where}: {manifest.Kind} {manifest.Name}";
            switch (manifest.ApiVersion, manifest.Kind)
            {
                case ("apps/v1", "StatefulSet"):
                    var statefulSet = manifest.As<V1StatefulSet>();
                    Assert.That(statefulSet.Spec.Replicas, Is.EqualTo(1), $"{at}: the embedded store is single-writer");
                    ManifestChecks.CheckSelectorMatches(statefulSet.Spec.Selector.MatchLabels, statefulSet.Spec.Template.Metadata.Labels, at);
                    Assert.That(statefulSet.Spec.Template.Metadata.Annotations["prometheus.io/path"], Is.EqualTo("/v1/metrics"), at);
                    var pod = statefulSet.Spec.Template.Spec;
                    ManifestChecks.CheckPodSpec(pod, at, "http", statefulSet.Spec.VolumeClaimTemplates?.Select(c => c.Metadata.Name));
                    var hasClaim = statefulSet.Spec.VolumeClaimTemplates?.Any(c => c.Metadata.Name == "state") == true;
                    var hasEmptyDir = pod.Volumes.Any(v => v.Name == "state" && v.EmptyDir is not null);
                    Assert.That(hasClaim ^ hasEmptyDir, Is.True, $"{at}: state is a PVC or an emptyDir");
                    break;
                case ("apps/v1", "Deployment"):
                    // Without a Redis URL the only Deployment is the dead-letter sink (HelmRedisTests check the server's).
                    var deployment = manifest.As<V1Deployment>();
                    ManifestChecks.CheckSelectorMatches(deployment.Spec.Selector.MatchLabels, deployment.Spec.Template.Metadata.Labels, at);
                    KnativeWiring.CheckDeadLetterPod(deployment, at);
                    break;
                case ("v1", "Service"):
                    var service = manifest.As<V1Service>();
                    Assert.That(service.Spec.Ports.Single().TargetPort.Value, Is.EqualTo("http"), at);
                    if (manifest.Name == KnativeWiring.ServerServiceName(manifests))
                    {
                        Assert.That(service.Metadata.Annotations["prometheus.io/path"], Is.EqualTo("/v1/metrics"), at);
                        ManifestChecks.CheckSelectorMatches(service.Spec.Selector, serverPodLabels!, at);
                    }
                    else
                    {
                        Assert.That(KnativeWiring.Triggers(manifests).Select(t => t.At("spec", "delivery", "deadLetterSink", "ref", "name")), Does.Contain(manifest.Name), $"{at}: a Service besides the server's is the dead-letter sink");
                    }

                    break;
                case ("serving.knative.dev/v1", "Service"):
                    // A Knative RevisionSpec is a PodSpec plus Knative's own fields.
                    Assert.That(manifest.At("spec", "template", "spec", "timeoutSeconds"), Is.EqualTo("60"), at);
                    Assert.That(manifest.At("spec", "template", "spec", "securityContext"), Is.Null, $"{at}: Knative rejects a pod-level securityContext unless kubernetes.podspec-securitycontext is enabled");
                    ManifestChecks.CheckPodSpec(manifest.PartAs<V1PodSpec>(["spec", "template", "spec"], ["timeoutSeconds", "containerConcurrency"]), at, "http1");
                    Assert.That(manifest.At("spec", "template", "metadata", "annotations", "autoscaling.knative.dev/min-scale"), Is.EqualTo("1"), at);
                    break;
                case ("v1", "ConfigMap"):
                    var configMap = manifest.As<V1ConfigMap>();
                    Assert.That(configMap.Metadata.Labels["grafana_dashboard"], Is.EqualTo("1"), at);
                    Assert.DoesNotThrow(() => JsonDocument.Parse(configMap.Data.Single().Value), at);
                    break;
                case ("monitoring.coreos.com/v1", "ServiceMonitor"):
                    Assert.That(manifest.At("spec", "endpoints") is List<object> { Count: 1 }, Is.True, at);
                    break;
                case ("monitoring.coreos.com/v1", "PrometheusRule"):
                    PromtoolTests.CheckRules(manifest.PartAsYaml("spec"), at);
                    break;
                case ("eventing.knative.dev/v1", "Trigger"):
                    Assert.That(KnativeWiring.FilterType(manifest), Is.Not.Empty, $"{at}: filters on a type, so the server's own metric events never come back to it");
                    Assert.That(int.Parse((string)manifest.At("spec", "delivery", "retry")!, System.Globalization.CultureInfo.InvariantCulture), Is.Positive, at);
                    Assert.That(manifest.At("spec", "delivery", "backoffPolicy"), Is.EqualTo("exponential"), at);
                    break;
                case ("eventing.knative.dev/v1", "Broker"):
                    Assert.That(manifest.At("spec", "delivery"), Is.Null, $"{at}: the Triggers carry the delivery settings, the Broker none of ours");
                    break;
                case ("networking.k8s.io/v1", "NetworkPolicy"):
                    Assert.DoesNotThrow(() => manifest.As<V1NetworkPolicy>(), at);
                    break;
                default:
                    Assert.Fail($"{at}: unexpected apiVersion {manifest.ApiVersion}");
                    break;
            }
        }

        KnativeWiring.Check(manifests, where);
        Security.ChartSecurityChecks.Check(manifests, where);

        foreach (var monitor in manifests.Where(m => m.Kind == "ServiceMonitor"))
        {
            var selector = ((Dictionary<object, object>)monitor.At("spec", "selector", "matchLabels")!).ToDictionary(k => (string)k.Key, v => (string)v.Value);
            var serverService = manifests.Single(m => m.ApiVersion == "v1" && m.Kind == "Service" && m.Name == KnativeWiring.ServerServiceName(manifests)).As<V1Service>();
            ManifestChecks.CheckSelectorMatches(selector, serverService.Metadata.Labels, $"{where}: ServiceMonitor selects the Service");
            var others = manifests.Where(m => m.ApiVersion == "v1" && m.Kind == "Service" && m.Name != serverService.Metadata.Name).Select(m => m.As<V1Service>());
            Assert.That(others.Where(o => KnativeWiring.Selects(selector, o.Metadata.Labels)), Is.Empty, $"{where}: ServiceMonitor scrapes the server alone");
            Assert.That(monitor.At("spec", "endpoints") is List<object> e && ((Dictionary<object, object>)e[0])["path"] is "/v1/metrics", Is.True);
        }
    }
}
