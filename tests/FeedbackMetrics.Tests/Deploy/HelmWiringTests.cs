using System.Text.Json;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Tests.Support;
using k8s.Models;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>
/// What `helm install` with defaults wires up, rendered by a real helm: Triggers for feedback and both logged-response
/// types (each can be switched off), no Broker, dead-letter sink or Prometheus Operator objects unless asked, and a
/// schema that refuses an option the server does not have.
/// </summary>
[Category("Deploy")]
public sealed class HelmWiringTests
{
    private static readonly string Chart = Tools.InRepo("charts", "feedback-metrics");

    private static readonly Dictionary<string, string> TriggerTypes = new()
    {
        ["feedback"] = KnativeWiring.FeedbackType,
        ["seldon-responses"] = KnativeWiring.SeldonResponseType,
        ["kserve-responses"] = KnativeWiring.KServeResponseType,
    };

    [TestCase("kubernetes")]
    [TestCase("knative")]
    public void Defaults_deliver_feedback_and_seldon_and_kserve_responses_to_the_server_and_nothing_that_needs_more_crds(string mode)
    {
        var manifests = Render("--set", $"mode={mode}");

        var triggers = KnativeWiring.Triggers(manifests);
        Assert.That(triggers.ToDictionary(t => t.Name, KnativeWiring.FilterType), Is.EquivalentTo(TriggerTypes.ToDictionary(t => "fm-feedback-metrics-" + t.Key, t => (string?)t.Value)));
        Assert.That(triggers.Select(t => ((Dictionary<object, object>)t.At("spec", "filter", "attributes")!).Count), Has.All.EqualTo(1), "the type alone: any model, any namespace's events on the broker");
        Assert.That(triggers.Select(t => t.At("spec", "broker")), Has.All.EqualTo("default"));
        Assert.That(triggers.Select(t => t.At("spec", "delivery", "deadLetterSink")), Has.All.Null, "no dead-letter sink unless one is created or named");
        Assert.That(TriggerTypes.Values, Is.SubsetOf(KnativeWiring.TypesTheServerHandles()), "the server's own defaults handle each type delivered");
        KnativeWiring.Check(manifests, mode);

        var kinds = manifests.Select(m => m.Kind).Distinct();
        Assert.That(kinds, Is.EquivalentTo(mode == "kubernetes" ? new[] { "StatefulSet", "Service", "Trigger" } : ["Service", "Trigger"]));
        Assert.That(manifests.Select(m => m.ApiVersion), Has.None.StartWith("monitoring.coreos.com/"), "ServiceMonitor and PrometheusRule only when asked");
    }

    [TestCase("feedback")]
    [TestCase("seldon-responses")]
    [TestCase("kserve-responses")]
    public void Each_trigger_can_be_switched_off_alone(string name)
    {
        string[] values = ["--set", $"knative.triggers.{name}.enabled=false"];
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, .. values]);

        var types = KnativeWiring.Triggers(Render(values)).Select(KnativeWiring.FilterType);

        Assert.That(types, Is.EquivalentTo(TriggerTypes.Where(t => t.Key != name).Select(t => t.Value)));
    }

    [Test]
    public void A_trigger_added_by_name_filters_on_its_own_attributes()
    {
        var manifests = Render("--set", "knative.triggers.iris.filter.type=io.seldon.serving.feedback", "--set", "knative.triggers.iris.filter.inferenceservicename=iris",
            "--set", "knative.triggers.feedback.enabled=false");

        var iris = KnativeWiring.Triggers(manifests).Single(t => t.Name == "fm-feedback-metrics-iris");
        Assert.That(iris.At("spec", "filter", "attributes", "inferenceservicename"), Is.EqualTo("iris"));
        Assert.That(KnativeWiring.Triggers(manifests), Has.Count.EqualTo(3));
    }

    [TestCase("knative.triggers.kserve-response.enabled=false", "/knative/triggers/kserve-response")]
    [TestCase("knative.triggers.all.filter.source=anything", "/knative/triggers/all/filter")]
    public void A_misspelt_or_typeless_trigger_is_refused_by_the_schema(string value, string where)
    {
        var (code, output) = Binaries.Run(Tools.Helm, "template", "fm", Chart, "--set", value);

        Assert.That(code, Is.Not.Zero, output);
        Assert.That(output, Does.Contain(where));
    }

    [TestCase("args.stroage_uri=foo", "stroage_uri")]
    [TestCase("args.http_port=9000", "http_port")]
    [TestCase("args.state_dir=/data", "state_dir")]
    [TestCase("args.redis_password=secret", "redis_password")]
    public void An_arg_that_is_not_a_server_option_or_is_the_charts_own_is_refused_before_anything_runs(string value, string name)
    {
        var (code, output) = Binaries.Run(Tools.Helm, "template", "fm", Chart, "--set", value);

        Assert.That(code, Is.Not.Zero, output);
        Assert.That(output, Does.Contain($"'{name}' not allowed").And.Contain("/args"));
    }

    [Test]
    public void The_schema_knows_every_server_option_but_the_ones_the_chart_sets()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Chart, "values.schema.json")));
        var args = schema.RootElement.GetProperty("properties").GetProperty("args");
        var inSchema = args.GetProperty("properties").EnumerateObject().Select(p => p.Name);
        string[] setByTheChart = ["http_port", "state", "state_dir", "redis_password"];

        Assert.That(args.GetProperty("additionalProperties").GetBoolean(), Is.False);
        Assert.That(inSchema, Is.EquivalentTo(SeldonCommandLine.Options.Select(o => o.Name).Except(setByTheChart)),
            "a server option was added or removed: list it under args in charts/feedback-metrics/values.schema.json");
    }

    [Test]
    public void A_created_dead_letter_sink_is_named_by_every_trigger_and_runs_beside_the_server()
    {
        string[] values = ["--set", "knative.deadLetterSink.create=true"];
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, .. values]);
        var manifests = Render(values);

        var sink = manifests.Single(m => m.Kind == "Deployment").As<V1Deployment>();
        KnativeWiring.CheckDeadLetterPod(sink, "dead letters");
        Assert.That(sink.Spec.Template.Spec.Containers.Single().Image, Is.EqualTo("gcr.io/knative-releases/knative.dev/eventing/cmd/event_display"));
        Assert.That(KnativeWiring.Triggers(manifests).Select(t => t.At("spec", "delivery", "deadLetterSink", "ref", "name")), Has.All.EqualTo("fm-feedback-metrics-dead-letters"));
        KnativeWiring.Check(manifests, "dead letters");
        HelmChartTests.CheckAll(manifests, "dead letters");
    }

    [Test]
    public void A_dead_letter_uri_is_used_as_given_and_creating_one_as_well_is_refused()
    {
        var manifests = Render("--set", "knative.delivery.deadLetterSinkUri=http://dlq.ops.svc.cluster.local");
        Assert.That(KnativeWiring.Triggers(manifests).Select(t => t.At("spec", "delivery", "deadLetterSink", "uri")), Has.All.EqualTo("http://dlq.ops.svc.cluster.local"));
        Assert.That(manifests.Select(m => m.Kind), Has.None.EqualTo("Deployment"));

        var (code, output) = Binaries.Run(Tools.Helm, "template", "fm", Chart, "--set", "knative.delivery.deadLetterSinkUri=http://dlq", "--set", "knative.deadLetterSink.create=true");
        Assert.That(code, Is.Not.Zero);
        Assert.That(output, Does.Contain("keep one"));
    }

    [Test]
    public void The_broker_is_made_only_when_asked_and_brings_no_delivery_settings()
    {
        Assert.That(Render().Select(m => m.Kind), Has.None.EqualTo("Broker"));

        var broker = Render("--set", "knative.createBroker=true").Single(m => m.Kind == "Broker");
        Assert.That(broker.Name, Is.EqualTo("default"));
        Assert.That(broker.At("spec"), Is.Null, "the cluster's default class and config; the Triggers carry their delivery");
    }

    private static List<Manifest> Render(params string[] values) =>
        Manifest.ParseAll(Tools.RunOk(Tools.Helm, ["template", "fm", Chart, "--namespace", "models", .. values]));
}
