namespace FeedbackMetrics.Core.Decoding;

/// <summary>A decoded class: a numeric index (shown as CLASS_i), or a name when the payload carried string labels.</summary>
public readonly record struct ClassLabel(int Index, string? Name)
{
    public static ClassLabel OfIndex(int index) => new(index, null);

    public static ClassLabel OfName(string name) => new(-1, name);

    /// <summary>The class name as the Seldon counters and the JSON view show it.</summary>
    public string DisplayName => Name ?? ClassNames.ForIndex(Index);
}
