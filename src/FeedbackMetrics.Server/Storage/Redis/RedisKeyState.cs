using System.Globalization;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// One model's figures as Redis holds them at one version: class names in ordinal order, the dense confusion matrix
/// (row = truth, column = predicted, row-major), the reward sums, how many times the model was reset (a state of
/// another generation does not continue one held), and the rows relabels moved out of each cell (same layout; null
/// when none did), kept in the cells hash as fields "rT,P".
/// </summary>
internal sealed record RedisKeyState(long Version, string[] Classes, long[] Matrix, double RewardTotal, long RewardEvents, long Generation = 0, long[]? Relabelled = null)
{
    public static readonly RedisKeyState Unknown = new(-1, [], [], 0, 0);

    /// <summary>The windows and probability sums, when read with the state (a refresh reads them; a script's answer does not).</summary>
    public RedisShared? Shared { get; init; }

    public bool IsEmpty => Classes.Length == 0;

    public long this[int truth, int predicted] => Matrix[(truth * Classes.Length) + predicted];

    /// <summary>Non-zero cells by class name, as <see cref="KeyState"/> holds them.</summary>
    public IEnumerable<(string Truth, string Predicted, long Count)> Cells() => CellsOf(Classes, Matrix);

    /// <summary>Non-zero cells of a dense matrix over <paramref name="classes"/>, by class name.</summary>
    public static IEnumerable<(string Truth, string Predicted, long Count)> CellsOf(string[] classes, long[]? matrix)
    {
        if (matrix is null)
        {
            yield break;
        }

        var n = classes.Length;
        for (var i = 0; i < Math.Min(matrix.Length, n * n); i++)
        {
            if (matrix[i] != 0)
            {
                yield return (classes[i / n], classes[i % n], matrix[i]);
            }
        }
    }

    /// <summary>These figures as the read model restores them.</summary>
    public KeyState ToKeyState() => new(Classes, [.. Cells()], RewardTotal, RewardEvents, Relabelled: [.. CellsOf(Classes, Relabelled)]);

    /// <summary>A scratch aggregate holding these figures, to apply events to and take snapshots from.</summary>
    public KeyAggregate ToAggregate(MetricKey key, TimeProvider time)
    {
        var aggregate = new KeyAggregate(key, [], time);
        aggregate.Restore(ToKeyState());
        return aggregate;
    }

    public static RedisKeyState Of(KeySnapshot snapshot, long version, long generation) =>
        new(version, snapshot.Classes, snapshot.Matrix, snapshot.RewardTotal, snapshot.RewardEvents, generation, snapshot.Relabelled);

    /// <summary>
    /// Parses what the scripts return: classes as (name, ordinal) pairs, cells as ("t,p", count) pairs. Throws
    /// <see cref="FormatException"/> on anything this server does not write (ordinals with gaps, cells off the matrix).
    /// </summary>
    public static RedisKeyState Parse(long version, RedisResult[] classPairs, RedisResult[] cellPairs, string rewardTotal, string rewardEvents, string generation)
    {
        var classes = new string[classPairs.Length / 2];
        for (var i = 0; i + 1 < classPairs.Length; i += 2)
        {
            var ordinal = (int)classPairs[i + 1];
            if ((uint)ordinal >= (uint)classes.Length || classes[ordinal] is not null)
            {
                throw new FormatException($"class ordinal {ordinal} out of place among {classes.Length} classes");
            }

            classes[ordinal] = (string)classPairs[i]!;
        }

        var n = classes.Length;
        var matrix = new long[n * n];
        long[]? relabelled = null;
        for (var i = 0; i + 1 < cellPairs.Length; i += 2)
        {
            var cell = (string)cellPairs[i]!;
            var moved = cell.StartsWith('r');
            var comma = cell.IndexOf(',', StringComparison.Ordinal);
            var t = int.Parse(cell.AsSpan(moved ? 1 : 0, comma - (moved ? 1 : 0)), CultureInfo.InvariantCulture);
            var p = int.Parse(cell.AsSpan(comma + 1), CultureInfo.InvariantCulture);
            if ((uint)t >= (uint)n || (uint)p >= (uint)n)
            {
                throw new FormatException($"cell {cell} outside a matrix of {n} classes");
            }

            (moved ? relabelled ??= new long[n * n] : matrix)[(t * n) + p] = (long)cellPairs[i + 1];
        }

        return new RedisKeyState(
            version,
            classes,
            matrix,
            double.Parse(rewardTotal, NumberStyles.Float, CultureInfo.InvariantCulture),
            long.Parse(rewardEvents, CultureInfo.InvariantCulture),
            long.Parse(generation, CultureInfo.InvariantCulture),
            relabelled);
    }
}
