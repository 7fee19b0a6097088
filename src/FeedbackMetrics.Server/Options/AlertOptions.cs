using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>Alert rules, how often they are judged, and where transitions are reported.</summary>
public sealed class AlertOptions
{
    public const string Section = "FeedbackMetrics:Alerts";

    /// <summary>YAML file of rules, re-read when it changes; none: no alerts.</summary>
    public string? RulesFile { get; set; }

    [Required]
    public string EventType { get; set; } = "io.seldon.serving.feedback.alert";

    /// <summary>How often rules are judged (and the rules file checked for changes).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Write a Kubernetes Event on the model's object (SeldonDeployment or InferenceService) at every transition.</summary>
    public bool KubernetesEvents { get; set; }

    /// <summary>The Kubernetes API to write Events to; empty: the in-cluster configuration (service account).</summary>
    public string? KubernetesApi { get; set; }
}
