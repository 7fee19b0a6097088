using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// The observations of one time slice of a <see cref="TimeWindow"/>: its sparse confusion counts and, once a scored row
/// arrives, its probability sums. Reused when the ring comes round, so its memory stays allocated but bounded.
/// </summary>
internal sealed class TimeBucket
{
    /// <summary>Which slice of time (counted in bucket widths from the Unix epoch) the bucket holds now.</summary>
    public long Index { get; private set; } = long.MinValue;

    public long Count { get; set; }

    /// <summary>A field, not a property: <see cref="CellCounts"/> is a mutable struct and must be changed in place.</summary>
    public CellCounts Cells;

    public ProbabilitySums? Probabilities { get; set; }

    public void Reset(long index)
    {
        Index = index;
        Count = 0;
        Cells.Clear();
        Probabilities?.Clear();
    }
}
