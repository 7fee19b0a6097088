namespace FeedbackMetrics.Core.Join;

/// <summary>The running counts of one namespace and deployment. Not thread-safe: the ledger locks.</summary>
internal sealed class JoinScopeStats
{
    public long PendingResponses;
    public long ParkedTruths;
    public long JoinedHeld;
    public JoinTotals Totals;

    public DelayHistogram Delay { get; private set; } = new();

    public AccuracyEstimator Estimator { get; private set; } = new();

    /// <summary>A deep copy, to put back should the changes about to be made be taken back.</summary>
    public JoinScopeStats Copy()
    {
        var copy = (JoinScopeStats)MemberwiseClone();
        copy.Delay = Delay.Copy();
        copy.Estimator = Estimator.Copy();
        return copy;
    }

    public JoinFigures Figures(JoinScope scope) => new(
        scope,
        PendingResponses,
        ParkedTruths,
        JoinedHeld,
        Totals,
        new LabelDelay(Delay.Quantile(0.5), Delay.Quantile(0.9), Delay.Quantile(0.99), Delay.Count),
        Estimator.Estimate());
}
