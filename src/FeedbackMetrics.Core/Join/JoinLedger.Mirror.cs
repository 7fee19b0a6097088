namespace FeedbackMetrics.Core.Join;

/// <summary>
/// A ledger that shows figures kept elsewhere: a shared store (Redis) keeps the entries and each deployment's sums
/// where every replica can change them, and each replica's ledger holds no entries, only those sums, to answer
/// <see cref="Figures"/> and <see cref="FiguresAll"/> as any ledger does.
/// </summary>
public sealed partial class JoinLedger
{
    /// <summary>
    /// Replaces the figures of the deployments given with the states given, each with what it holds
    /// (<see cref="JoinScopeState.Held"/>, required); with <paramref name="complete"/> the list is every deployment
    /// there is, and any other is dropped. Entries are not touched (a mirroring ledger holds none).
    /// </summary>
    public void Mirror(IEnumerable<JoinScopeState> scopes, bool complete)
    {
        lock (_lock)
        {
            var seen = new HashSet<JoinScope>();
            foreach (var state in scopes)
            {
                var stats = state.Held is not null
                    ? JoinScopeStats.FromState(state, withHeld: true)
                    : throw new ArgumentException($"The join state of {state.Scope} does not say what it holds.", nameof(scopes));
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
