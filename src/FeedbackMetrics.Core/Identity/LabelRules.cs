namespace FeedbackMetrics.Core.Identity;

/// <summary>Checks a label value (identity or class name) before it may become a Prometheus label.</summary>
public static class LabelRules
{
    /// <summary>Longest label value accepted; longer values are refused rather than cut.</summary>
    public const int MaxLength = 256;

    public static void Check(string what, string value)
    {
        if (value.Length == 0)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, $"{what} is empty.");
        }

        if (value.Length > MaxLength)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, $"{what} is {value.Length} characters long; at most {MaxLength} are accepted.");
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                throw new InvalidFeedbackException(RejectionKind.Malformed, $"{what} contains a control or unpaired surrogate character (U+{(int)c:X4}).");
            }
        }
    }
}
