using FeedbackMetrics.Tests.Support;
using k8s.Models;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>The chart with <c>state.redis</c>: several replicas on a shared Redis instead of the one-replica StatefulSet.</summary>
[Category("Deploy")]
public sealed class HelmRedisTests
{
    private static readonly string Chart = Tools.InRepo("charts", "feedback-metrics");

    [TestCase("redis://redis.data:6379")]
    [TestCase("rediss://redis-0.redis:6380,redis-1.redis:6380")]
    public void A_redis_url_makes_a_deployment_of_replicas_with_a_disruption_budget_and_the_password_from_a_secret(string url)
    {
        string[] values = ["--set", $"state.redis.url={url.Replace(",", "\\,", StringComparison.Ordinal)}", "--set", "state.redis.existingSecret=fm-redis", "--set", "state.redis.replicas=3"];
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, .. values]);
        var manifests = Manifest.ParseAll(Tools.RunOk(Tools.Helm, ["template", "fm", Chart, "--namespace", "models", .. values]));

        Assert.That(manifests.Select(m => m.Kind), Has.None.EqualTo("StatefulSet"));
        var deployment = manifests.Single(m => m.Kind == "Deployment").As<V1Deployment>();
        Assert.That(deployment.Spec.Replicas, Is.EqualTo(3));
        var pod = deployment.Spec.Template.Spec;
        var container = ManifestChecks.CheckPodSpec(pod, "redis deployment", "http");
        Assert.That(ManifestChecks.ArgValue([.. container.Args], "--state"), Is.EqualTo(url));
        var password = container.Env.Single(e => e.Name == "FeedbackMetrics__State__RedisPassword").ValueFrom.SecretKeyRef;
        Assert.That((password.Name, password.Key), Is.EqualTo(("fm-redis", "password")));

        var budget = manifests.Single(m => m.Kind == "PodDisruptionBudget").As<V1PodDisruptionBudget>();
        Assert.That(budget.Spec.MinAvailable.Value, Is.EqualTo("1"));
        ManifestChecks.CheckSelectorMatches(budget.Spec.Selector.MatchLabels, deployment.Spec.Template.Metadata.Labels, "budget");
        var service = manifests.Single(m => m.Kind == "Service" && m.ApiVersion == "v1").As<V1Service>();
        ManifestChecks.CheckSelectorMatches(service.Spec.Selector, deployment.Spec.Template.Metadata.Labels, "service");
    }

    [Test]
    public void A_ca_secret_for_a_private_ca_is_mounted_read_only_and_given_as_the_redis_ca_file()
    {
        string[] values = ["--set", "state.redis.url=rediss://redis.data:6380", "--set", "state.redis.caSecret=redis-ca", "--set", "state.redis.caKey=tls.ca",
                           "--set", "args.redis_ca_file=/elsewhere.pem"];
        Tools.RunOk(Tools.Helm, ["lint", "--strict", Chart, .. values]);
        var pod = Manifest.ParseAll(Tools.RunOk(Tools.Helm, ["template", "fm", Chart, .. values])).Single(m => m.Kind == "Deployment").As<V1Deployment>().Spec.Template.Spec;
        var container = ManifestChecks.CheckPodSpec(pod, "redis deployment", "http");

        Assert.That(container.Args.Count(a => a == "--redis_ca_file"), Is.EqualTo(1), "the chart's value wins over args.redis_ca_file");
        var file = ManifestChecks.ArgValue([.. container.Args], "--redis_ca_file");
        var mount = container.VolumeMounts.Single(m => file.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        Assert.That(mount.ReadOnlyProperty, Is.True);
        var volume = pod.Volumes.Single(v => v.Name == mount.Name).Secret;
        Assert.That(volume.SecretName, Is.EqualTo("redis-ca"));
        Assert.That(volume.Items.Single().Key, Is.EqualTo("tls.ca"));
        Assert.That(mount.MountPath + "/" + volume.Items.Single().Path, Is.EqualTo(file));
    }

    [Test]
    public void Without_a_redis_url_the_chart_keeps_its_one_replica_statefulset_and_no_password()
    {
        var manifests = Manifest.ParseAll(Tools.RunOk(Tools.Helm, ["template", "fm", Chart, "--set", "state.redis.existingSecret=fm-redis"]));

        Assert.That(manifests.Select(m => m.Kind), Has.None.EqualTo("Deployment").And.None.EqualTo("PodDisruptionBudget"));
        var container = manifests.Single(m => m.Kind == "StatefulSet").As<V1StatefulSet>().Spec.Template.Spec.Containers.Single();
        Assert.That(ManifestChecks.ArgValue([.. container.Args], "--state"), Is.EqualTo("sqlite"));
        Assert.That(container.Env.Select(e => e.Name), Has.None.EqualTo("FeedbackMetrics__State__RedisPassword"));
    }

    [Test]
    public void A_state_url_that_is_not_redis_is_refused_by_the_schema()
    {
        var (code, output) = Binaries.Run(Tools.Helm, "lint", "--strict", Chart, "--set", "state.redis.url=http://redis:6379");

        Assert.That(code, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("state.redis.url").Or.Contain("/state/redis/url"));
    }
}
