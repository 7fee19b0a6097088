namespace FeedbackMetrics.Server.Json;

/// <summary>How many keys a reset removed.</summary>
public sealed record ResetResult(int Reset);
