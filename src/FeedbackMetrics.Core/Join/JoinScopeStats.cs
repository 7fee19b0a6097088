namespace FeedbackMetrics.Core.Join;

/// <summary>The running counts of one namespace and deployment. Not thread-safe: its owner locks.</summary>
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

    /// <summary>Everything these counts hold, what they held included (<see cref="JoinScopeState.Held"/>), as a store keeps it.</summary>
    public JoinScopeState State(JoinScope scope)
    {
        var (rows, correct) = Estimator.Reliability();
        var (realizedRows, realizedExpected, realizedCorrect) = Estimator.Realized();
        var (pendingRows, pendingConfidence) = Estimator.PendingSums();
        return new JoinScopeState(scope, Totals, Delay.Counts(), rows, correct, realizedRows, realizedExpected, realizedCorrect)
        {
            Held = new JoinHeld(PendingResponses, ParkedTruths, JoinedHeld, pendingRows, pendingConfidence),
        };
    }

    /// <summary>
    /// Counts as stored. With <paramref name="withHeld"/> what the deployment holds comes from the state too (its
    /// <see cref="JoinScopeState.Held"/> must be there); without, whoever restores the entries counts them.
    /// </summary>
    public static JoinScopeStats FromState(JoinScopeState state, bool withHeld)
    {
        var stats = new JoinScopeStats { Totals = state.Totals };
        stats.Delay.Restore(state.DelayCounts);
        stats.Estimator.RestoreReliability(state.ReliabilityRows, state.ReliabilityCorrect);
        stats.Estimator.RestoreRealized(state.RealizedRows, state.RealizedExpected, state.RealizedCorrect);
        if (withHeld)
        {
            var held = state.Held ?? throw new InvalidOperationException($"The stored join state of {state.Scope} does not say what it holds.");
            stats.PendingResponses = held.PendingResponses;
            stats.ParkedTruths = held.ParkedTruths;
            stats.JoinedHeld = held.JoinedHeld;
            stats.Estimator.RestorePending(held.PendingRows, held.PendingConfidence);
        }

        return stats;
    }
}
