namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>
/// Whether this replica writes the per-model series (Seldon's counters and ours). Always with a store of its own;
/// with a shared store every replica holds the global figures, so only the one holding the store's exporter lease
/// writes them and summing every replica's scrape gives the true totals, never a multiple.
/// </summary>
public sealed class ModelSeriesGate
{
    private volatile bool _exports = true;

    public bool Exports => _exports;

    public void Set(bool exports) => _exports = exports;
}
