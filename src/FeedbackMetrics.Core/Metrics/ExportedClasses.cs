namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// What a key exports per class to Prometheus, bounded: its first <c>max</c> classes as they are, the rest folded
/// into one class <c>other</c> — counts summed, and for <c>other</c> precision, recall and F1 micro-averaged over
/// the folded classes — so a 1 000-class model makes (max + 1)² confusion series, not a million. The JSON view
/// keeps every class.
/// </summary>
public sealed record ExportedClasses(string[] Names, long[] Matrix, ClassFigures[] PerClass)
{
    public const string Other = "other";

    public long this[int truth, int predicted] => Matrix[(truth * Names.Length) + predicted];

    public static ExportedClasses Of(KeySnapshot snapshot, KeySummary summary, int max)
    {
        var n = snapshot.Classes.Length;
        if (n <= max)
        {
            return new ExportedClasses(summary.Classes, snapshot.Matrix, summary.PerClass);
        }

        var matrix = Fold(snapshot.Matrix, n, max);
        var totals = snapshot.Totals;
        long hits = 0, predicted = 0, support = 0;
        for (var c = max; c < n; c++)
        {
            hits += totals.Hits[c];
            predicted += totals.Predicted[c];
            support += totals.Support[c];
        }

        var precision = predicted == 0 ? 0 : (double)hits / predicted;
        var recall = support == 0 ? 0 : (double)hits / support;
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new ExportedClasses(
            [.. summary.Classes.Take(max), Other],
            matrix,
            [.. summary.PerClass.Take(max), new ClassFigures(Other, precision, recall, f1, support)]);
    }

    /// <summary>
    /// A dense n x n matrix with classes past the first <paramref name="max"/> summed into one last row and column
    /// (the matrix itself when there are no more than <paramref name="max"/> classes).
    /// </summary>
    public static long[] Fold(long[] cells, int n, int max)
    {
        if (n <= max)
        {
            return cells;
        }

        var m = max + 1;
        var matrix = new long[m * m];
        for (var t = 0; t < n; t++)
        {
            var ft = Math.Min(t, max);
            for (var p = 0; p < n; p++)
            {
                matrix[(ft * m) + Math.Min(p, max)] += cells[(t * n) + p];
            }
        }

        return matrix;
    }
}
