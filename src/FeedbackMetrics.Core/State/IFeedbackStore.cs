using FeedbackMetrics.Core.Engine;

namespace FeedbackMetrics.Core.State;

/// <summary>
/// The state seam the host calls: count the events of one request exactly once and durably, reset keys, and hand out
/// the metric events waiting for the reply URL. The read model (<see cref="ReadModel.MetricsBook"/>) is what it keeps
/// up to date; exposition reads only that.
/// </summary>
public interface IFeedbackStore
{
    /// <summary>Loads the state; the server reports ready only after it completes.</summary>
    Task<RestoreReport> InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Applies the events of one request, all or nothing, each under its id; a result per event, in order.
    /// Completes only when the effect is durable. Throws <see cref="InvalidFeedbackException"/> (nothing changed)
    /// when a limit would be passed by any of them, and <see cref="StorageUnavailableException"/> when the effect
    /// could not be made durable.
    /// </summary>
    ValueTask<ApplyResult[]> ApplyAsync(IReadOnlyList<IngestEvent> events, CancellationToken cancellationToken);

    /// <summary>Commits what is pending and releases the store (graceful stop).</summary>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>Forgets every figure of the given keys; returns how many existed.</summary>
    ValueTask<int> ResetAsync(IReadOnlyCollection<Identity.MetricKey> keys, CancellationToken cancellationToken);

    /// <summary>Null when the store can take writes; otherwise why it cannot.</summary>
    string? Unavailable { get; }

    /// <summary>The metric events of counted events, waiting for the reply URL.</summary>
    IOutbox Outbox { get; }

    /// <summary>Unix milliseconds at which the oldest remembered event id is forgotten; null when none is remembered.</summary>
    long? DedupeHorizon { get; }
}
