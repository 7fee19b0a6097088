using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Tests.Support;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>What every rendered pod spec, service and trigger must satisfy, whichever way it was produced.</summary>
public static class ManifestChecks
{
    public const string StateDir = "/var/lib/feedback-metrics";

    /// <summary>Container args accepted by our own option parser and validators; ports, probes, mounts and security as promised.</summary>
    public static V1Container CheckPodSpec(V1PodSpec pod, string where, string portName, IEnumerable<string>? claimNames = null)
    {
        var container = pod.Containers.Single(c => c.Name == "server");
        var args = container.Args.ToArray();
        Assert.That(args[^1], Is.EqualTo("MetricsServer"), where);
        Assert.DoesNotThrow(() => SeldonCommandLine.Parse(args, TextWriter.Null), where);
        CheckOptionsValidate(args, where);

        var port = int.Parse(ArgValue(args, "--http_port"), System.Globalization.CultureInfo.InvariantCulture);
        var containerPort = container.Ports.Single();
        Assert.That(containerPort.Name, Is.EqualTo(portName), where);
        Assert.That(containerPort.ContainerPort, Is.EqualTo(port), where);
        Assert.That(container.ReadinessProbe.HttpGet.Path, Is.EqualTo("/ready"), where);
        Assert.That(container.LivenessProbe.HttpGet.Path, Is.EqualTo("/healthz"), where);
        Assert.That(container.ReadinessProbe.HttpGet.Port.Value, Is.EqualTo(port.ToString(System.Globalization.CultureInfo.InvariantCulture)), where);
        Assert.That(container.LivenessProbe.HttpGet.Port.Value, Is.EqualTo(port.ToString(System.Globalization.CultureInfo.InvariantCulture)), where);

        Assert.That(ArgValue(args, "--state_dir"), Is.EqualTo(StateDir), where);
        Assert.That(container.VolumeMounts.Select(m => m.MountPath), Does.Contain(StateDir).And.Contain("/tmp"), $"{where}: state and /tmp are writable under a read-only root");
        var volumes = (pod.Volumes?.Select(v => v.Name) ?? []).Concat(claimNames ?? []).ToList();
        foreach (var mount in container.VolumeMounts)
        {
            Assert.That(volumes, Does.Contain(mount.Name), $"{where}: the volume of mount {mount.MountPath}");
        }

        Assert.That(container.Resources.Requests.Keys, Is.SupersetOf(new[] { "cpu", "memory" }), where);
        Assert.That(container.Resources.Limits.Keys, Does.Contain("memory"), where);

        // The container's own setting wins over the pod's (Knative Services carry them on the container).
        Assert.That(container.SecurityContext.RunAsNonRoot ?? pod.SecurityContext?.RunAsNonRoot, Is.True, where);
        Assert.That(container.SecurityContext.RunAsUser ?? pod.SecurityContext?.RunAsUser, Is.EqualTo(8888), where);
        Assert.That(container.SecurityContext.AllowPrivilegeEscalation, Is.False, where);
        Assert.That(container.SecurityContext.ReadOnlyRootFilesystem, Is.True, where);
        Assert.That(container.SecurityContext.Capabilities.Drop, Does.Contain("ALL"), where);
        return container;
    }

    public static void CheckSelectorMatches(IDictionary<string, string> selector, IDictionary<string, string> labels, string where)
    {
        Assert.That(selector, Is.Not.Empty, where);
        foreach (var (key, value) in selector)
        {
            Assert.That(labels.TryGetValue(key, out var actual) ? actual : null, Is.EqualTo(value), $"{where}: selector {key}");
        }
    }

    public static string ArgValue(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        Assert.That(i, Is.GreaterThanOrEqualTo(0), $"{name} is among the args");
        return args[i + 1];
    }

    /// <summary>
    /// Binds these args with the server's own option registrations and resolves the options types that need nothing
    /// from the pod (security and admin check files that exist only there), which runs their validators.
    /// </summary>
    private static void CheckOptionsValidate(string[] args, string where)
    {
        string[] local = [.. args.Where(a => a != "MetricsServer"), "--state", "memory"];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(SeldonCommandLine.Parse(local, TextWriter.Null)!).Build();
        Assert.That(OptionCatalog.ConversionError(configuration)?.Message, Is.Null, where);
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddServerOptions();
        using var provider = services.BuildServiceProvider();
        Assert.DoesNotThrow(
            () =>
            {
                _ = provider.GetRequiredService<IOptions<ServerOptions>>().Value;
                _ = provider.GetRequiredService<IOptions<DecodingOptions>>().Value;
                _ = provider.GetRequiredService<IOptions<LimitsOptions>>().Value;
                _ = provider.GetRequiredService<IOptions<ReplyOptions>>().Value;
                _ = provider.GetRequiredService<IOptions<StateOptions>>().Value;
            },
            where);
    }
}
