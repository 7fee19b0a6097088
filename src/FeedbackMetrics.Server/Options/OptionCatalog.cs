using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using FeedbackMetrics.Server.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace FeedbackMetrics.Server.Options;

/// <summary>
/// Ties each option of <see cref="OptionTable"/> to the options property it sets, so that a bad value is reported by
/// the name the user wrote (<c>--http_port</c>, or the environment variable) with what it accepts.
/// </summary>
internal static class OptionCatalog
{
    private static readonly Dictionary<string, Type> Types = new Type[]
    {
        typeof(ServerOptions), typeof(DecodingOptions), typeof(LimitsOptions), typeof(ReplyOptions), typeof(StateOptions), typeof(AdminOptions),
        typeof(JoinOptions), typeof(SecurityOptions), typeof(ExpositionOptions), typeof(AlertOptions), typeof(WindowOptions), typeof(SegmentOptions),
    }.ToDictionary(t => (string)t.GetField("Section")!.GetValue(null)!);

    /// <summary>The option that sets <paramref name="property"/> of the options bound from <paramref name="section"/>.</summary>
    public static CliOption? Find(string section, string property) =>
        OptionTable.All.FirstOrDefault(o => o.Key == $"{section}:{property}");

    public static PropertyInfo? Property(CliOption option)
    {
        var split = option.Key.LastIndexOf(':');
        return Types.TryGetValue(option.Key[..split], out var type) ? type.GetProperty(option.Key[(split + 1)..]) : null;
    }

    /// <summary>What a value must be: the table's words, else the property's type and range.</summary>
    public static string Accepts(CliOption option)
    {
        if (option.Accepts is { } accepts)
        {
            return accepts;
        }

        if (Property(option) is not { } property)
        {
            return "text";
        }

        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (property.GetCustomAttribute<RangeAttribute>() is { } range)
        {
            var noun = type == typeof(TimeSpan) ? "a duration" : Noun(type);
            return FormattableString.Invariant($"{noun} from {range.Minimum} to {range.Maximum}");
        }

        return type == typeof(TimeSpan) ? "a duration, hh:mm:ss or d.hh:mm:ss"
            : type == typeof(string) && property.GetCustomAttribute<RequiredAttribute>() is not null ? "a value that is not empty"
            : Noun(type);
    }

    /// <summary>Where the value of an option came from, named as the user wrote it: the option, the variable or the file's key.</summary>
    public static string Subject(CliOption option, IConfiguration configuration)
    {
        if (configuration is IConfigurationRoot root)
        {
            foreach (var provider in root.Providers.Reverse())
            {
                if (provider.TryGet(option.Key, out _) || provider.TryGet(option.Key + ":0", out _))
                {
                    return provider switch
                    {
                        EnvironmentVariablesConfigurationProvider => option.EnvironmentVariable,
                        FileConfigurationProvider file => $"{option.Key} in {file.Source.Path}",
                        _ => "--" + option.Name,
                    };
                }
            }
        }

        return "--" + option.Name;
    }

    /// <summary>
    /// The start-up line for a problem with the value of option <paramref name="name"/>; <c>{value}</c> in
    /// <paramref name="problem"/> stands for the value as the user wrote it.
    /// </summary>
    public static string Line(string name, string problem, string? remedy, IConfiguration configuration)
    {
        var option = SeldonCommandLine.Find(name) ?? throw new ArgumentException($"--{name} is not in the option table.", nameof(name));
        var written = configuration[option.Key] ?? (configuration.GetSection(option.Key).GetChildren().Select(c => c.Value).ToList() is { Count: > 0 } items ? string.Join(",", items) : null);
        return StartupException.Line(problem.Replace("{value}", written is null ? "the default" : Quote(written), StringComparison.Ordinal), Subject(option, configuration), remedy ?? "give " + Accepts(option));
    }

    /// <summary>
    /// The first configured value its property's type cannot hold (<c>--http_port abc</c>), found with the configuration
    /// binder itself, one option at a time, before anything binds the options and meets it as a bare exception.
    /// </summary>
    public static StartupException? ConversionError(IConfiguration configuration)
    {
        foreach (var option in OptionTable.All.Where(o => !o.IsList))
        {
            if (configuration[option.Key] is not { } value || Property(option) is not { } property)
            {
                continue;
            }

            try
            {
                new ConfigurationBuilder().AddInMemoryCollection([new(option.Key, value)]).Build().GetSection(option.Key).Get(property.PropertyType);
            }
            catch (InvalidOperationException)
            {
                var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                return StartupException.Of($"{Quote(value)} is not {(type == typeof(TimeSpan) ? "a duration" : Noun(type))}", Subject(option, configuration), "give " + Accepts(option));
            }
        }

        return null;
    }

    /// <summary>A value as the messages quote it: a number as it is, anything else in quotes.</summary>
    public static string Quote(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? value : $"'{value}'";

    private static string Noun(Type type) =>
        type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(double) ? "a number"
        : type == typeof(bool) ? "true or false"
        : type == typeof(string[]) ? "a comma-separated list"
        : "text";
}
