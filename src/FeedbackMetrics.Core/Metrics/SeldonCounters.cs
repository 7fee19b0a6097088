using FeedbackMetrics.Core.Decoding;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// Seldon's counter semantics. Multiclass: a correct row adds TP{truth class}; a wrong row adds FN{truth class}
/// and FP{predicted class} (Seldon never emits TN for multiclass). Binary: exactly one of TP/FP/FN/TN, no class label.
/// </summary>
public static class SeldonCounters
{
    public static string KeyOf(SeldonCounter counter) => counter switch
    {
        SeldonCounter.TruePositive => "seldon_metric_true_positive",
        SeldonCounter.FalsePositive => "seldon_metric_false_positive",
        SeldonCounter.FalseNegative => "seldon_metric_false_negative",
        _ => "seldon_metric_true_negative",
    };

    /// <summary>The increments one event's rows cause, summed per counter and class, in first-seen order.</summary>
    public static List<SeldonCounterUpdate> ForRows(ReadOnlySpan<Observation> rows, bool binary)
    {
        var totals = new Dictionary<(SeldonCounter, string?), long>();
        var order = new List<(SeldonCounter, string?)>();
        foreach (var row in rows)
        {
            if (binary)
            {
                var truth = row.Truth.Index == 1;
                var correct = row.Truth.Index == row.Predicted.Index;
                Add((truth, correct) switch
                {
                    (true, true) => SeldonCounter.TruePositive,
                    (true, false) => SeldonCounter.FalseNegative,
                    (false, true) => SeldonCounter.TrueNegative,
                    _ => SeldonCounter.FalsePositive,
                }, null);
            }
            else if (row.Truth == row.Predicted)
            {
                Add(SeldonCounter.TruePositive, row.Truth.DisplayName);
            }
            else
            {
                Add(SeldonCounter.FalseNegative, row.Truth.DisplayName);
                Add(SeldonCounter.FalsePositive, row.Predicted.DisplayName);
            }
        }

        return [.. order.Select(k => new SeldonCounterUpdate(k.Item1, k.Item2, totals[k]))];

        void Add(SeldonCounter counter, string? cls)
        {
            var k = (counter, cls);
            if (totals.TryGetValue(k, out var v))
            {
                totals[k] = v + 1;
            }
            else
            {
                totals[k] = 1;
                order.Add(k);
            }
        }
    }

    /// <summary>A multiclass key's counter totals for one class, derived from its confusion matrix.</summary>
    public static (long Tp, long Fp, long Fn) MulticlassTotals(KeySnapshot snapshot, int c)
    {
        var totals = snapshot.Totals;
        return (totals.Hits[c], totals.Predicted[c] - totals.Hits[c], totals.Support[c] - totals.Hits[c]);
    }

    /// <summary>A binary key's counter totals; class 1 (CLASS_1) is the positive class.</summary>
    public static (long Tp, long Fp, long Fn, long Tn) BinaryTotals(KeySnapshot snapshot)
    {
        long Cell(int t, int p) => t < snapshot.Classes.Length && p < snapshot.Classes.Length ? snapshot[t, p] : 0;
        return (Cell(1, 1), Cell(0, 1), Cell(1, 0), Cell(0, 0));
    }
}
