namespace FeedbackMetrics.Core.State;

/// <summary>What a store brought back at start-up.</summary>
public sealed record RestoreReport(string Store, int Keys, int RememberedIds);
