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
        foreach (var file in Directory.GetFiles(fresh, "*.yaml", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(fresh, file);
            var committed = Tools.InRepo("deploy", relative);
            Assert.That(File.Exists(committed), Is.True, $"deploy/{relative} is missing: run bash scripts/render-deploy.sh");
            Assert.That(File.ReadAllText(committed), Is.EqualTo(File.ReadAllText(file)), $"deploy/{relative} differs from the chart: run bash scripts/render-deploy.sh");
        }

        Directory.Delete(fresh, recursive: true);
    }

    [TestCase("k8s")]
    [TestCase("knative")]
    public void Every_file_in_deploy_parses_and_checks(string folder)
    {
        var manifests = Directory.GetFiles(Tools.InRepo("deploy", folder), "*.yaml").SelectMany(f => Manifest.ParseAll(File.ReadAllText(f))).ToList();
        CheckAll(manifests, $"deploy/{folder}");
        if (folder == "knative")
        {
            Assert.That(manifests.Select(m => m.Kind), Is.SupersetOf(new[] { "Broker", "Trigger", "Service" }));
            var trigger = manifests.Single(m => m.Kind == "Trigger");
            Assert.That(trigger.At("spec", "delivery", "deadLetterSink", "uri"), Is.Not.Null, "a dead-letter sink");
            Assert.That(trigger.At("spec", "filter", "attributes", "inferenceservicename"), Is.EqualTo("multiclass-model"));
        }
        else
        {
            Assert.That(manifests.Select(m => m.Kind), Is.SupersetOf(new[] { "StatefulSet", "Service", "ServiceMonitor", "PrometheusRule", "ConfigMap", "Trigger" }));
        }
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

    private static void CheckAll(List<Manifest> manifests, string where)
    {
        Assert.That(manifests, Is.Not.Empty, where);
        Dictionary<string, string>? serviceLabels = null;
        string? serviceName = null;
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
                case ("v1", "Service"):
                    var service = manifest.As<V1Service>();
                    Assert.That(service.Spec.Ports.Single().TargetPort.Value, Is.EqualTo("http"), at);
                    Assert.That(service.Metadata.Annotations["prometheus.io/path"], Is.EqualTo("/v1/metrics"), at);
                    serviceLabels = new Dictionary<string, string>(service.Metadata.Labels);
                    serviceName = service.Metadata.Name;
                    ManifestChecks.CheckSelectorMatches(service.Spec.Selector, manifests.Single(m => m.Kind == "StatefulSet").As<V1StatefulSet>().Spec.Template.Metadata.Labels, at);
                    break;
                case ("serving.knative.dev/v1", "Service"):
                    // A Knative RevisionSpec is a PodSpec plus Knative's own fields.
                    Assert.That(manifest.At("spec", "template", "spec", "timeoutSeconds"), Is.EqualTo("60"), at);
                    Assert.That(manifest.At("spec", "template", "spec", "securityContext"), Is.Null, $"{at}: Knative rejects a pod-level securityContext unless kubernetes.podspec-securitycontext is enabled");
                    ManifestChecks.CheckPodSpec(manifest.PartAs<V1PodSpec>(["spec", "template", "spec"], ["timeoutSeconds", "containerConcurrency"]), at, "http1");
                    Assert.That(manifest.At("spec", "template", "metadata", "annotations", "autoscaling.knative.dev/min-scale"), Is.EqualTo("1"), at);
                    serviceName = manifest.Name;
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
                    Assert.That(manifest.At("spec", "filter", "attributes", "type"), Is.EqualTo("io.seldon.serving.feedback"), at);
                    Assert.That(int.Parse((string)manifest.At("spec", "delivery", "retry")!, System.Globalization.CultureInfo.InvariantCulture), Is.Positive, at);
                    Assert.That(manifest.At("spec", "delivery", "backoffPolicy"), Is.EqualTo("exponential"), at);
                    break;
                case ("eventing.knative.dev/v1", "Broker"):
                    break;
                case ("networking.k8s.io/v1", "NetworkPolicy"):
                    Assert.DoesNotThrow(() => manifest.As<V1NetworkPolicy>(), at);
                    break;
                default:
                    Assert.Fail($"{at}: unexpected apiVersion {manifest.ApiVersion}");
                    break;
            }
        }

        foreach (var trigger in manifests.Where(m => m.Kind == "Trigger"))
        {
            Assert.That(trigger.At("spec", "subscriber", "ref", "name"), Is.EqualTo(serviceName), $"{where}: trigger {trigger.Name} delivers to the server");
        }

        Security.ChartSecurityChecks.Check(manifests, where);

        foreach (var monitor in manifests.Where(m => m.Kind == "ServiceMonitor"))
        {
            var selector = ((Dictionary<object, object>)monitor.At("spec", "selector", "matchLabels")!).ToDictionary(k => (string)k.Key, v => (string)v.Value);
            ManifestChecks.CheckSelectorMatches(selector, serviceLabels!, $"{where}: ServiceMonitor selects the Service");
            Assert.That(monitor.At("spec", "endpoints") is List<object> e && ((Dictionary<object, object>)e[0])["path"] is "/v1/metrics", Is.True);
        }
    }
}
