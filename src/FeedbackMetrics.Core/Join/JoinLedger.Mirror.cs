namespace FeedbackMetrics.Core.Join;

/// <summary>
/// A ledger that shows figures kept elsewhere: a shared store (Redis) keeps the entries and each deployment's sums
/// where every replica can change them, and each replica's ledger holds no entries, only those sums, to answer
/// <see cref="Figures"/> and <see cref="FiguresAll"/> as any ledger does.
/// </summary>
public sealed partial class JoinLedger
{
    /// <summary>The clock the ledger stamps arrivals and changes with (a store deciding on a scratch ledger uses the same).</summary>
    public TimeProvider Clock => _time;

    /// <summary>
    /// Replaces the figures of the deployments given with the sums given; with <paramref name="complete"/> the list is
    /// every deployment there is, and any other is dropped. Entries held are not touched (a mirroring ledger holds none).
    /// </summary>
    public void Mirror(IEnumerable<JoinScopeMirror> scopes, bool complete)
    {
        lock (_lock)
        {
            var seen = new HashSet<JoinScope>();
            foreach (var mirror in scopes)
            {
                var state = mirror.State;
                var stats = new JoinScopeStats
                {
                    PendingResponses = mirror.PendingResponses,
                    ParkedTruths = mirror.ParkedTruths,
                    JoinedHeld = mirror.JoinedHeld,
                    Totals = state.Totals,
                };
                stats.Delay.Restore(state.DelayCounts);
                stats.Estimator.RestoreReliability(state.ReliabilityRows, state.ReliabilityCorrect);
                stats.Estimator.RestoreRealized(state.RealizedRows, state.RealizedExpected, state.RealizedCorrect);
                stats.Estimator.RestorePending(mirror.PendingRows, mirror.PendingConfidence);
                _stats[state.Scope] = stats;
                seen.Add(state.Scope);
            }

            if (complete)
            {
                foreach (var scope in _stats.Keys.Where(s => !seen.Contains(s)).ToList())
                {
                    _stats.Remove(scope);
                }
            }
        }
    }
}

/// <summary>
/// One deployment's join figures as a shared store keeps them: its state (<see cref="JoinScopeState"/>), the entries
/// held per kind, and the pending rows per calibration bin with the sum of their top probabilities.
/// </summary>
public sealed record JoinScopeMirror(
    JoinScopeState State,
    long PendingResponses,
    long ParkedTruths,
    long JoinedHeld,
    IReadOnlyList<long> PendingRows,
    IReadOnlyList<double> PendingConfidence);
