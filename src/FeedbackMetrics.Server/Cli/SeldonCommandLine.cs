namespace FeedbackMetrics.Server.Cli;

/// <summary>
/// Seldon's metrics-server command line (<c>--model_name … MetricsServer</c>) and our own options in the same
/// snake_case style, turned into configuration keys so they take precedence over appsettings and environment.
/// </summary>
internal static class SeldonCommandLine
{
    public const string Section = "FeedbackMetrics";

    /// <summary>Seldon's server kinds; this server is the metrics one.</summary>
    private static readonly string[] OtherSeldonServers = ["DriftDetector", "OutlierDetector", "AdversarialDetector"];

    public static IReadOnlyList<CliOption> Options => OptionTable.All;

    /// <summary>Parses the arguments; null when --help was asked (the help text was written).</summary>
    public static Dictionary<string, string?>? Parse(IReadOnlyList<string> args, TextWriter helpOut)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                helpOut.Write(HelpText.Render());
                return null;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                CheckPositional(arg);
                continue;
            }

            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            var option = Find(name) ?? throw StartupException.Of(
                "unknown option", "--" + name, "run with --help to list the options", Suggest(name));
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw StartupException.Of("no value given", "--" + name, $"write --{option.Name} VALUE or --{option.Name}=VALUE");
                }

                value = args[++i];
            }

            if (option.IsList)
            {
                var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                for (var j = 0; j < items.Length; j++)
                {
                    values[$"{option.Key}:{j}"] = items[j];
                }
            }
            else
            {
                values[option.Key] = value;
            }
        }

        return values;
    }

    /// <summary>The option of that name (<c>http-port</c> is read as <c>http_port</c>), or null.</summary>
    public static CliOption? Find(string name) =>
        Options.FirstOrDefault(o => string.Equals(o.Name, name.Replace('-', '_'), StringComparison.Ordinal));

    /// <summary>"did you mean --x?" for the option nearest to a mistyped name, when one is near enough.</summary>
    private static string? Suggest(string name) =>
        Nearest(name.Replace('-', '_'), Options.Select(o => o.Name).Append("help")) is { } near ? $"did you mean --{near}?" : null;

    private static void CheckPositional(string arg)
    {
        if (arg == "MetricsServer")
        {
            return;
        }

        if (OtherSeldonServers.Contains(arg))
        {
            throw StartupException.Of("this image is Seldon's MetricsServer only", arg, $"run Seldon's alibi-detect server for {arg}");
        }

        if (arg.StartsWith('-') && Find(arg.TrimStart('-')) is { } option)
        {
            throw StartupException.Of("options start with two dashes", arg, $"write --{option.Name}", $"did you mean --{option.Name}?");
        }

        var hint = Nearest(arg, ["MetricsServer"]) is { } near ? $"did you mean {near}?" : null;
        throw StartupException.Of("unexpected argument", arg, "the only positional argument is MetricsServer; options start with --", hint);
    }

    /// <summary>The candidate with the fewest edits from <paramref name="word"/>, if a third of its letters or fewer (at least 2) differ.</summary>
    private static string? Nearest(string word, IEnumerable<string> candidates)
    {
        var best = (Name: (string?)null, Distance: Math.Max(2, word.Length / 3) + 1);
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(word.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < best.Distance)
            {
                best = (candidate, distance);
            }
        }

        return best.Name;
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions of one character each.</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
