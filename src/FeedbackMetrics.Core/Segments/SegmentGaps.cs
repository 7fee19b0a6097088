using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Segments;

/// <summary>
/// How far apart one figure lies across a segment name's values: the largest and the smallest (and the values they
/// belong to), their difference, and whether their 95 % intervals do not overlap (<see cref="Apart"/>: the gap is
/// more than the noise of the rows counted).
/// </summary>
public sealed record SegmentGap(double Max, double Min, double Gap, bool Apart, string MaxValue, string MinValue);

/// <summary>
/// The gaps of one segment name, from each value's cumulative counts. Two classes: recall, precision and the positive
/// rate (the share of rows predicted positive) of the second class, each with its Wilson interval. More classes:
/// recall and precision are the macro averages of the value's figure set (scikit-learn's: over the classes in its truths
/// or predictions, a class with none as 0), with a normal interval whose variance sums the classes' (each class's
/// recall is counted on its own rows, so they are independent), and there is no positive rate. Accuracy always, with its
/// Wilson interval. A value is left out of a figure while the figure is undefined for it (no rows, or no positives);
/// <c>other</c> (the values past <c>--max_segment_values</c> together) is left out of every figure. Of values tied for
/// the largest figure the one whose interval lies highest counts (for the smallest, the one whose interval lies lowest),
/// so a value of three rows does not stand for a tie that forty rows make certain.
/// </summary>
public sealed record SegmentGaps(SegmentGap Accuracy, SegmentGap? Recall, SegmentGap? Precision, SegmentGap? PositiveRate)
{
    /// <summary>The gap of a figure by its JSON name (accuracy, recall, precision, positiveRate); null when not defined.</summary>
    public SegmentGap? Of(string figure) => figure switch
    {
        "accuracy" => Accuracy,
        "recall" => Recall,
        "precision" => Precision,
        "positiveRate" => PositiveRate,
        _ => null,
    };

    /// <summary>The figures a gap can be asked of, as <see cref="Of"/> names them.</summary>
    public static readonly string[] Figures = ["accuracy", "recall", "precision", "positiveRate"];

    /// <summary>The gaps of every segment name with at least two values (but <c>other</c>) that have rows, by name.</summary>
    public static IReadOnlyDictionary<string, SegmentGaps> Of(IReadOnlyList<SegmentView> segments)
    {
        var gaps = new SortedDictionary<string, SegmentGaps>(StringComparer.Ordinal);
        foreach (var name in segments.Select(s => s.Segment.Name).Distinct())
        {
            var values = segments.Where(s => s.Segment.Name == name && s.Segment.Value != SegmentValue.Other && s.View.Snapshot.Count > 0)
                .Select(s => (s.Segment.Value, Figures: Estimates.Of(s.View.Snapshot)))
                .ToList();
            if (values.Count < 2 || Gap(values, e => e.Accuracy) is not { } accuracy)
            {
                continue;
            }

            gaps[name] = new SegmentGaps(accuracy, Gap(values, e => e.Recall), Gap(values, e => e.Precision), Gap(values, e => e.PositiveRate));
        }

        return gaps;
    }

    private static SegmentGap? Gap(List<(string Value, Estimates Figures)> values, Func<Estimates, Estimate?> figure)
    {
        var defined = new List<(string Value, Estimate Estimate)>(values.Count);
        foreach (var (value, figures) in values)
        {
            if (figure(figures) is { } estimate)
            {
                defined.Add((value, estimate));
            }
        }

        if (defined.Count < 2)
        {
            return null;
        }

        // The largest (of equals, the one whose interval lies highest), then the smallest of the others (of equals, the
        // one whose interval lies lowest): two values, even when every value has the same figure.
        var high = defined.MaxBy(d => (d.Estimate.Value, d.Estimate.Interval.Low));
        var low = defined.Where(d => d.Value != high.Value).MinBy(d => (d.Estimate.Value, d.Estimate.Interval.High));
        var apart = high.Estimate.Interval.Low > low.Estimate.Interval.High;
        return new SegmentGap(high.Estimate.Value, low.Estimate.Value, high.Estimate.Value - low.Estimate.Value, apart, high.Value, low.Value);
    }

    /// <summary>A figure and its 95 % interval.</summary>
    private readonly record struct Estimate(double Value, Interval Interval)
    {
        public static Estimate? Proportion(long successes, long trials) =>
            trials == 0 ? null : new Estimate((double)successes / trials, Wilson.Interval(successes, trials));
    }

    private sealed record Estimates(Estimate Accuracy, Estimate? Recall, Estimate? Precision, Estimate? PositiveRate)
    {
        public static Estimates Of(KeySnapshot snapshot)
        {
            var totals = snapshot.Totals;
            var n = snapshot.Classes.Length;
            var accuracy = Estimate.Proportion(totals.Correct, snapshot.Count)!.Value;
            if (n == 2)
            {
                return new Estimates(
                    accuracy,
                    Estimate.Proportion(totals.Hits[1], totals.Support[1]),
                    Estimate.Proportion(totals.Hits[1], totals.Predicted[1]),
                    Estimate.Proportion(totals.Predicted[1], snapshot.Count));
            }

            return new Estimates(accuracy, Macro(totals, totals.Support), Macro(totals, totals.Predicted), null);
        }

        /// <summary>
        /// The mean of the classes' proportions over the classes in the truths or the predictions (one with no trials
        /// counts 0, as scikit-learn's <c>zero_division=0</c>), and its normal interval: the classes' row sets are
        /// disjoint, so the variance of the mean is the sum of theirs over k², each taken at the Agresti–Coull proportion
        /// (x + 2) / (n + 4) so that a class at 0 or 1 still counts its uncertainty (a class with no trials has none).
        /// </summary>
        private static Estimate? Macro(ConfusionTotals totals, IReadOnlyList<long> trials)
        {
            double sum = 0, variance = 0;
            var k = 0;
            for (var c = 0; c < trials.Count; c++)
            {
                if (totals.Support[c] == 0 && totals.Predicted[c] == 0)
                {
                    continue;
                }

                k++;
                if (trials[c] == 0)
                {
                    continue;
                }

                sum += (double)totals.Hits[c] / trials[c];
                var adjusted = (totals.Hits[c] + 2.0) / (trials[c] + 4.0);
                variance += adjusted * (1 - adjusted) / (trials[c] + 4.0);
            }

            if (k == 0)
            {
                return null;
            }

            var mean = sum / k;
            var half = Wilson.Z95 * Math.Sqrt(variance) / k;
            return new Estimate(mean, new Interval(Math.Max(0, mean - half), Math.Min(1, mean + half)));
        }
    }
}
