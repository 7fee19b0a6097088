using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Core.ReadModel;

/// <summary>What a durable store gives back for one key at start-up (see <see cref="KeyAggregate.Restore"/>).</summary>
public sealed record KeyState(
    IReadOnlyList<string> Classes,
    IReadOnlyList<(string Truth, string Predicted, long Count)> Cells,
    double RewardTotal = 0,
    long RewardEvents = 0,
    ProbabilitySums? Probabilities = null,
    IReadOnlyList<CountedRow>? Rows = null,
    IReadOnlyList<(string Truth, string Predicted, long Count)>? Relabelled = null,
    IReadOnlyList<(string Window, BucketState State)>? Buckets = null,
    long NextWindowSequence = 0)
{
    /// <summary>Rows relabels moved out of each cell (<see cref="Metrics.KeySnapshot.Relabelled"/>).</summary>
    public IReadOnlyList<(string Truth, string Predicted, long Count)> RelabelledCells => Relabelled ?? [];

    /// <summary>
    /// Stored rows. With <see cref="Buckets"/> (the time windows' bucket states) they fill the count windows only;
    /// without, they rebuild every window (a state file from before bucket states).
    /// </summary>
    public IReadOnlyList<CountedRow> WindowRows => Rows ?? [];
}
