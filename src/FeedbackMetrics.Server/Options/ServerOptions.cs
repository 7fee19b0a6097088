using System.ComponentModel.DataAnnotations;

namespace FeedbackMetrics.Server.Options;

/// <summary>How the server listens and names itself.</summary>
public sealed class ServerOptions
{
    public const string Section = "FeedbackMetrics:Server";

    public string ModelName { get; set; } = "metrics";

    [Range(0, 65535)]
    public int HttpPort { get; set; } = 8080;

    [Required]
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Console log lines: "text" (one line per event, for people) or "json" (one JSON object per line, for log pipelines).</summary>
    [RegularExpression("^(text|json)$")]
    public string LogFormat { get; set; } = "text";

    [RegularExpression("^seldonfeedback\\.http$")]
    public string Protocol { get; set; } = "seldonfeedback.http";
}
