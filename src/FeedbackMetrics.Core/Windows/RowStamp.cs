namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// Where an observation sits in its key's windows: its sequence number among the key's observations (count windows)
/// and when it was counted (time windows). Kept with the observation so a relabel can move it in every window.
/// </summary>
public readonly record struct RowStamp(long Sequence, DateTimeOffset CountedAt);
