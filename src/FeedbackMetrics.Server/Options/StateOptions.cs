using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>Where counts live and how long redeliveries are recognised.</summary>
public sealed class StateOptions
{
    public const string Section = "FeedbackMetrics:State";

    [RegularExpression("^(memory|sqlite)$", ErrorMessage = "--state must be memory or sqlite.")]
    public string Mode { get; set; } = "sqlite";

    public string Dir { get; set; } = "./data";

    public TimeSpan DedupeTtl { get; set; } = TimeSpan.FromHours(24);

    [Range(1, 100_000_000)]
    public int DedupeMaxIds { get; set; } = 1_000_000;
}
