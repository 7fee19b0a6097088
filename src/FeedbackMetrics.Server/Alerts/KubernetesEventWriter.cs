using FeedbackMetrics.Core.Alerts;
using FeedbackMetrics.Server.Options;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Alerts;

/// <summary>
/// Writes an alert transition as a Kubernetes Event on the model's own object — its SeldonDeployment, else its
/// InferenceService, found by deployment name in its namespace — so <c>kubectl describe</c> shows it. Through
/// KubernetesClient with the pod's service account (or <c>--kubernetes_api</c>).
/// </summary>
public sealed class KubernetesEventWriter(IOptions<AlertOptions> options, TimeProvider time) : IDisposable
{
    /// <summary>The kinds a model's deployment can be, tried in this order.</summary>
    private static readonly (string Group, string Version, string Plural, string Kind)[] Kinds =
    [
        ("machinelearning.seldon.io", "v1", "seldondeployments", "SeldonDeployment"),
        ("serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService"),
    ];

    private readonly Lazy<Kubernetes> _client = new(() => new Kubernetes(
        string.IsNullOrEmpty(options.Value.KubernetesApi)
            ? KubernetesClientConfiguration.InClusterConfig()
            : new KubernetesClientConfiguration { Host = options.Value.KubernetesApi }));

    public async Task WriteAsync(AlertTransition transition, CancellationToken cancellationToken)
    {
        var key = transition.Key;
        var involved = await FindAsync(key.Namespace, key.Deployment, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var reason = transition.Firing ? "FeedbackAlertFiring" : "FeedbackAlertResolved";
        var ev = new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = $"{key.Deployment}.feedback-", NamespaceProperty = key.Namespace },
            InvolvedObject = involved,
            Reason = reason,
            Message = $"{AlertEvents.Describe(transition)}; predictor {key.Predictor}, model {key.Model}",
            Type = transition.Firing ? "Warning" : "Normal",
            Source = new V1EventSource { Component = "feedback-metrics" },
            ReportingComponent = "feedback-metrics",
            ReportingInstance = Environment.MachineName,
            Action = reason,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        await _client.Value.CoreV1.CreateNamespacedEventAsync(ev, key.Namespace, cancellationToken: cancellationToken);
    }

    private async Task<V1ObjectReference> FindAsync(string ns, string name, CancellationToken cancellationToken)
    {
        foreach (var (group, version, plural, kind) in Kinds)
        {
            try
            {
                var found = await _client.Value.CustomObjects.GetNamespacedCustomObjectAsync<System.Text.Json.JsonElement>(group, version, ns, plural, name, cancellationToken);
                var uid = found.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("uid", out var u) ? u.GetString() : null;
                return new V1ObjectReference { ApiVersion = $"{group}/{version}", Kind = kind, Name = name, NamespaceProperty = ns, Uid = uid };
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // Not this kind: try the next.
            }
        }

        throw new InvalidOperationException($"Neither a SeldonDeployment nor an InferenceService named {name} exists in namespace {ns}.");
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }
}
