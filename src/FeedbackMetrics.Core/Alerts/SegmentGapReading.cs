using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Segments;

namespace FeedbackMetrics.Core.Alerts;

/// <summary>
/// What a segment gap rule read of one model: the segment name, the value with the largest figure and the one with the
/// smallest, their figures and the rows each rests on, the gap, and whether their 95 % intervals lie apart.
/// </summary>
public sealed record SegmentGapReading(string Segment, string MaxValue, double Max, long MaxRows, string MinValue, double Min, long MinRows, double Gap, bool Apart)
{
    /// <summary>
    /// A segment gap rule's reading of a model's segments: the gap among the values with at least the rule's minimum
    /// observations (so a value with a handful of rows neither fires the rule nor hides a gap between the others). When
    /// fewer than two such values have the figure, the gap among all values, which rests on fewer rows than the minimum
    /// (the evaluator then does not judge: an alert firing stays); null when the model has no gap of that figure at all.
    /// </summary>
    public static AlertReading? Read(AlertRule rule, IReadOnlyList<SegmentView> segments)
    {
        var values = segments.Where(s => s.Segment.Name == rule.Segment).ToList();
        return Among([.. values.Where(s => s.View.Snapshot.Count >= rule.MinObservations)]) ?? Among(values);

        AlertReading? Among(List<SegmentView> among)
        {
            if (among.Count < 2
                || !SegmentGaps.Of(among).TryGetValue(rule.Segment!, out var gaps)
                || gaps.Of(AlertRule.SegmentGapMetrics[rule.Metric]) is not { } gap)
            {
                return null;
            }

            long RowsOf(string value) => among.First(s => s.Segment.Value == value).View.Snapshot.Count;
            var reading = new SegmentGapReading(rule.Segment!, gap.MaxValue, gap.Max, RowsOf(gap.MaxValue), gap.MinValue, gap.Min, RowsOf(gap.MinValue), gap.Gap, gap.Apart);
            var breached = gap.Gap > rule.Threshold && (gap.Apart || !rule.RequireApart);
            return new AlertReading(gap.Gap, Math.Min(reading.MaxRows, reading.MinRows), rule.Threshold, null, breached) { Gap = reading };
        }
    }
}
