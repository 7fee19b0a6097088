namespace FeedbackMetrics.Core.Identity;

/// <summary>
/// One value of a segment (<c>--segment_by</c>) an event carried: <paramref name="Name"/> as configured (<c>region</c>,
/// <c>tags.tenant</c>), <paramref name="Value"/> as the event gave it, or <see cref="Other"/> where a model already
/// keeps <c>--max_segment_values</c> values of that name.
/// </summary>
public readonly record struct SegmentValue(string Name, string Value)
{
    /// <summary>The value the rows of a name's values past <c>--max_segment_values</c> are counted under.</summary>
    public const string Other = "other";

    public override string ToString() => $"{Name}={Value}";

    /// <summary>Ordinal order by name, then value: the order segments are listed in.</summary>
    public static int Compare(SegmentValue a, SegmentValue b)
    {
        var c = string.CompareOrdinal(a.Name, b.Name);
        return c != 0 ? c : string.CompareOrdinal(a.Value, b.Value);
    }

    /// <summary>
    /// The segment values of a joined request: the response's, then the truth's for the names the response does not
    /// carry (a logged response keeps its values for the truth that joins it).
    /// </summary>
    public static IReadOnlyList<SegmentValue> Merge(IReadOnlyList<SegmentValue> response, IReadOnlyList<SegmentValue> truth)
    {
        if (truth.Count == 0)
        {
            return response;
        }

        if (response.Count == 0)
        {
            return truth;
        }

        var merged = new List<SegmentValue>(response);
        foreach (var value in truth)
        {
            if (!merged.Exists(v => v.Name == value.Name))
            {
                merged.Add(value);
            }
        }

        return merged;
    }
}
