using System.Globalization;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// One window of <c>--windows</c>: <c>last_N</c> (the last N observations of a key) or a span of time such as
/// <c>5m</c>, <c>1h</c>, <c>24h</c>, <c>7d</c> (the observations counted in that span, kept in <see cref="Buckets"/>
/// buckets). <see cref="Name"/> is the text as given: the JSON key and the Prometheus <c>window</c> label.
/// </summary>
public sealed record WindowSpec(string Name, WindowKind Kind, int Rows, TimeSpan Span)
{
    /// <summary>The default of <c>--windows</c>.</summary>
    public const string DefaultList = "last_100,1h";

    /// <summary>
    /// Largest N of <c>last_N</c>: the window keeps every one of its rows (about 40 bytes each) for every key, so
    /// 100 000 rows is already about 4 MB a key.
    /// </summary>
    public const int MaxRows = 100_000;

    /// <summary>Buckets a time window is kept in unless told otherwise: a row leaves it between 59/60 and 60/60 of its span after it was counted.</summary>
    public const int DefaultBuckets = 60;

    private const string Forms = "last_N (the last N observations, N from 1 to 100000, e.g. last_100) or a span of time: a whole number and m, h or d (5m, 1h, 24h, 7d), from 1m to 31d";

    private static readonly TimeSpan ShortestSpan = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LongestSpan = TimeSpan.FromDays(31);

    /// <summary>Buckets of a time window; the span must split into whole ticks.</summary>
    public int Buckets { get; init; } = DefaultBuckets;

    /// <summary>The bucket of this time window (in bucket widths since the Unix epoch) a row counted at <paramref name="countedAt"/> falls in.</summary>
    public long BucketIndex(DateTimeOffset countedAt) =>
        Kind == WindowKind.Time ? countedAt.UtcTicks / (Span.Ticks / Buckets) : throw new InvalidOperationException($"{Name} is not a time window.");

    /// <summary>Parses one window; throws <see cref="FormatException"/> saying what is wrong and what is accepted.</summary>
    public static WindowSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = text.Trim();
        if (name.StartsWith("last_", StringComparison.Ordinal))
        {
            var digits = name["last_".Length..];
            if (!IsDigits(digits) || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var rows) || rows is < 1 or > MaxRows)
            {
                throw Invalid(name, $"after last_ comes the number of observations, a whole number from 1 to {MaxRows}");
            }

            return new WindowSpec(name, WindowKind.Count, rows, TimeSpan.Zero);
        }

        if (name.Length >= 2 && IsDigits(name[..^1]))
        {
            var unit = name[^1] switch
            {
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                'd' => TimeSpan.FromDays(1),
                _ => TimeSpan.Zero,
            };
            if (unit != TimeSpan.Zero && long.TryParse(name[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount <= LongestSpan / unit)
            {
                var span = unit * amount;
                return span >= ShortestSpan
                    ? new WindowSpec(name, WindowKind.Time, 0, span)
                    : throw Invalid(name, "a time window spans at least 1m");
            }

            if (unit != TimeSpan.Zero)
            {
                throw Invalid(name, "a time window spans at most 31d");
            }
        }

        throw Invalid(name, null);
    }

    /// <summary>
    /// Parses a comma-separated list such as <c>last_100,1h</c>; blanks around items are ignored and an empty (or blank)
    /// list means no windows. Two windows with the same name or the same size are refused.
    /// </summary>
    public static IReadOnlyList<WindowSpec> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var specs = new List<WindowSpec>();
        foreach (var item in text.Split(','))
        {
            if (string.IsNullOrWhiteSpace(item))
            {
                throw new FormatException($"--windows \"{text}\" has an empty item; separate windows by single commas, e.g. {DefaultList}.");
            }

            var spec = Parse(item);
            if (specs.Find(s => s.Kind == spec.Kind && s.Rows == spec.Rows && s.Span == spec.Span) is { } same)
            {
                throw new FormatException($"--windows \"{text}\" names the same window twice ({same.Name} and {spec.Name}).");
            }

            specs.Add(spec);
        }

        return specs;
    }

    /// <summary>Like <see cref="ParseList"/>, for options validation: the error instead of an exception.</summary>
    public static bool TryParseList(string text, out IReadOnlyList<WindowSpec> specs, out string? error)
    {
        try
        {
            specs = ParseList(text);
            error = null;
            return true;
        }
        catch (FormatException x)
        {
            specs = [];
            error = x.Message;
            return false;
        }
    }

    private static bool IsDigits(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    private static FormatException Invalid(string name, string? why) =>
        new(why is null ? $"Window \"{name}\" is not valid. A window is {Forms}." : $"Window \"{name}\" is not valid: {why}. A window is {Forms}.");
}
