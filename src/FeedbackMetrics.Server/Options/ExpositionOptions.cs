using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>How figures are shown: readable class names, and how many classes per model get their own Prometheus series.</summary>
public sealed class ExpositionOptions
{
    public const string Section = "FeedbackMetrics:Exposition";

    /// <summary>Names for CLASS_0, CLASS_1, … in our series, the JSON view and the web view (Seldon's counters keep CLASS_i).</summary>
    public string[] ClassNames { get; set; } = [];

    [Range(1, 10_000)]
    public int MaxExportedClasses { get; set; } = 50;
}
