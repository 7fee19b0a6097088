namespace FeedbackMetrics.Server.Options;

/// <summary>Administrative endpoints: enabled only when a token file is configured.</summary>
public sealed class AdminOptions
{
    public const string Section = "FeedbackMetrics:Admin";

    public string? TokenFile { get; set; }
}
