namespace FeedbackMetrics.Core.State;

/// <summary>The store could not make an event durable; the event was not counted and should be delivered again.</summary>
public sealed class StorageUnavailableException(string reason, Exception? inner = null) : Exception(reason, inner);
