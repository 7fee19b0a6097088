namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>
/// The alerts the exporter lease holder judged, as bytes passed between replicas through a shared store: the holder's
/// alert loop leaves what it found in <see cref="Judged"/>, its log writes it to the store; every other replica's log
/// reads it into <see cref="Received"/>, and its alert loop lists those instead of judging. Off without a shared store.
/// </summary>
public sealed class SharedAlerts
{
    private volatile byte[]? _judged;
    private volatile byte[]? _received;

    /// <summary>True when a shared store passes the alerts (set by the store): only the lease holder judges.</summary>
    public bool Enabled { get; set; }

    /// <summary>What this replica last judged firing, while it holds the lease (<see cref="Alerts.SharedAlertCodec"/>).</summary>
    public byte[]? Judged
    {
        get => _judged;
        set => _judged = value;
    }

    /// <summary>What the lease holder last judged firing, as the store had it at this replica's last refresh.</summary>
    public byte[]? Received
    {
        get => _received;
        set => _received = value;
    }
}
