namespace FeedbackMetrics.Core.Decoding;

/// <summary>
/// When a response's Seldon <c>data.names</c> name its classes. Seldon's Python wrapper writes, for a prediction with a
/// vector per row, the model's <c>class_names()</c> — one name per column, column i being CLASS_i — and, when the model
/// has none, <c>t:0</c>, <c>t:1</c>, … (seldon_core user_model.client_class_names). For one value per row it writes no
/// names, or a column name such as <c>proba</c>, which names no class. So the names are class names only when the
/// response holds a vector per row and there is exactly one name per column; Seldon's own <c>t:i</c> placeholders say
/// nothing and are dropped. Names that could not be shown apart or on one line (duplicates, empty, control characters,
/// longer than a label may be) are dropped too: they are a display aid, and never cost an event that counts well.
/// </summary>
public static class ResponseClassNames
{
    /// <summary>Longest name shown, as for any label (<see cref="Identity.LabelRules.MaxLength"/>).</summary>
    private const int MaxLength = Identity.LabelRules.MaxLength;

    /// <summary>The names of CLASS_0 … CLASS_{width-1}, or null when the message's names are not class names.</summary>
    public static string[]? Of(IReadOnlyList<string>? names, int width)
    {
        if (names is null || names.Count != width || width == 0 || IsSeldonPlaceholder(names))
        {
            return null;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name.Length is 0 or > MaxLength || name.Any(char.IsControl) || !seen.Add(name))
            {
                return null;
            }
        }

        return [.. names];
    }

    /// <summary>Seldon's names for a model without class names: <c>t:0</c>, <c>t:1</c>, …</summary>
    private static bool IsSeldonPlaceholder(IReadOnlyList<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] != $"t:{i}")
            {
                return false;
            }
        }

        return true;
    }
}
