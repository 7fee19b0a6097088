using System.Globalization;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// Readable names for index classes (<c>--class_names</c>): <c>CLASS_i</c> is shown as the i-th name in our own
/// series, the JSON view and the web view. Seldon's counters keep <c>CLASS_i</c>, as dashboards built for Seldon
/// expect; string labels and indexes past the list keep their own names.
/// </summary>
public sealed class ClassDisplay(IReadOnlyList<string> names)
{
    public static readonly ClassDisplay Stored = new([]);

    public string Of(string stored)
    {
        if (names.Count == 0 || !stored.StartsWith("CLASS_", StringComparison.Ordinal)
            || !int.TryParse(stored.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= names.Count)
        {
            return stored;
        }

        return names[index];
    }

    /// <summary>The summary with its class names shown.</summary>
    public KeySummary Apply(KeySummary summary) =>
        names.Count == 0
            ? summary
            : summary with
            {
                Classes = [.. summary.Classes.Select(Of)],
                PerClass = [.. summary.PerClass.Select(c => c with { Class = Of(c.Class) })],
            };
}
