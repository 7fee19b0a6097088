using System.Globalization;

namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// What one Redis node ran and holds: <c>INFO commandstats</c> (calls and microseconds per command, commands run inside
/// scripts included), <c>DBSIZE</c> and the CPU time of the process (<c>used_cpu_sys + used_cpu_user</c> of <c>INFO cpu</c>).
/// </summary>
public sealed record RedisNodeFigures(int Port, IReadOnlyDictionary<string, RedisCommandStat> Commands, long Keys, double CpuSeconds)
{
    /// <summary>The commands that run a script or a function: one round trip each, whatever the script does.</summary>
    public static readonly IReadOnlySet<string> ScriptCommands = new HashSet<string>(["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"], StringComparer.Ordinal);

    public long ScriptCalls => Commands.Where(c => ScriptCommands.Contains(c.Key)).Sum(c => c.Value.Calls);

    public long ScriptUsec => Commands.Where(c => ScriptCommands.Contains(c.Key)).Sum(c => c.Value.Usec);

    /// <summary>Every command, those run inside scripts and the figures' own INFO and DBSIZE included.</summary>
    public long Calls => Commands.Values.Sum(c => c.Calls);

    public long Usec => Commands.Values.Sum(c => c.Usec);

    public static RedisNodeFigures Read(RedisServer node)
    {
        var commands = new Dictionary<string, RedisCommandStat>(StringComparer.Ordinal);
        foreach (var line in Lines(node.Cli("INFO", "commandstats")).Where(l => l.StartsWith("cmdstat_", StringComparison.Ordinal)))
        {
            // cmdstat_evalsha:calls=12,usec=345,usec_per_call=28.75,rejected_calls=0,failed_calls=0
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var fields = line[(colon + 1)..].Split(',').Select(f => f.Split('=')).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
            commands[line["cmdstat_".Length..colon]] = new RedisCommandStat(long.Parse(fields["calls"], CultureInfo.InvariantCulture), long.Parse(fields["usec"], CultureInfo.InvariantCulture));
        }

        var cpu = Lines(node.Cli("INFO", "cpu")).Select(l => l.Split(':')).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        return new RedisNodeFigures(
            node.Port,
            commands,
            long.Parse(node.Cli("DBSIZE").Trim(), CultureInfo.InvariantCulture),
            double.Parse(cpu["used_cpu_sys"], CultureInfo.InvariantCulture) + double.Parse(cpu["used_cpu_user"], CultureInfo.InvariantCulture));
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r'));
}

/// <summary>One command's line of <c>INFO commandstats</c>: how often it ran and the microseconds it took in all.</summary>
public readonly record struct RedisCommandStat(long Calls, long Usec);
