namespace FeedbackMetrics.Core.ReadModel;

/// <summary>What a Redis replica reads back of one key (see <see cref="KeyAggregate.Restore"/>): classes, cells by class name, rewards, relabelled cells.</summary>
public sealed record KeyState(
    IReadOnlyList<string> Classes,
    IReadOnlyList<(string Truth, string Predicted, long Count)> Cells,
    double RewardTotal = 0,
    long RewardEvents = 0,
    IReadOnlyList<(string Truth, string Predicted, long Count)>? Relabelled = null)
{
    /// <summary>Rows relabels moved out of each cell (<see cref="Metrics.KeySnapshot.Relabelled"/>).</summary>
    public IReadOnlyList<(string Truth, string Predicted, long Count)> RelabelledCells => Relabelled ?? [];
}
