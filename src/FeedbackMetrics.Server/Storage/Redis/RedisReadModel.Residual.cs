using FeedbackMetrics.Core.Decoding;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>What a newer state from Redis adds to the one the book holds, beyond this replica's own changes.</summary>
internal sealed partial class RedisReadModel
{
    /// <summary>
    /// The cells of <paramref name="next"/> not in <paramref name="held"/> nor in the own changes, by class name (a
    /// relabel elsewhere lowers one cell and raises another); null when <paramref name="next"/> does not continue
    /// <paramref name="held"/> (the model was reset since, or its classes are not a continuation).
    /// </summary>
    private static List<(string, string, long)>? Residual(RedisKeyState held, RedisKeyState next, IReadOnlyList<OwnChange> own)
    {
        var heldClasses = held.Version < 0 ? [] : held.Classes;
        if ((held.Version >= 0 && held.Generation != next.Generation)
            || heldClasses.Length > next.Classes.Length || !heldClasses.AsSpan().SequenceEqual(next.Classes.AsSpan(0, heldClasses.Length)))
        {
            return null;
        }

        var n = next.Classes.Length;
        var position = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            position[next.Classes[i]] = i;
        }

        var delta = (long[])next.Matrix.Clone();
        var m = heldClasses.Length;
        for (var t = 0; t < m; t++)
        {
            for (var p = 0; p < m; p++)
            {
                delta[(t * n) + p] -= held[t, p];
            }
        }

        bool Take(Observation row, long count)
        {
            if (!position.TryGetValue(row.Truth.DisplayName, out var t) || !position.TryGetValue(row.Predicted.DisplayName, out var p))
            {
                return false;
            }

            delta[(t * n) + p] -= count;
            return true;
        }

        foreach (var change in own)
        {
            for (var i = 0; i < change.Rows.Rows.Length; i++)
            {
                if (!Take(change.Rows.Rows[i], 1) || (change.Replaced is { } replaced && !Take(replaced.Rows[i], -1)))
                {
                    return null;
                }
            }
        }

        var residual = new List<(string, string, long)>();
        for (var i = 0; i < delta.Length; i++)
        {
            if (delta[i] != 0)
            {
                residual.Add((next.Classes[i / n], next.Classes[i % n], delta[i]));
            }
        }

        return residual;
    }

    /// <summary>
    /// The rows relabels elsewhere moved out of each cell: those of <paramref name="next"/> not in
    /// <paramref name="held"/> nor moved by this replica's own relabels (the book counted those as it moved them).
    /// </summary>
    private static List<(string, string, long)> RelabelledResidual(RedisKeyState held, RedisKeyState next, IReadOnlyList<OwnChange> own)
    {
        var n = next.Classes.Length;
        var delta = next.Relabelled is null ? new long[n * n] : (long[])next.Relabelled.Clone();
        var m = held.Version < 0 ? 0 : held.Classes.Length;
        if (held.Relabelled is { } before)
        {
            for (var i = 0; i < Math.Min(before.Length, m * m); i++)
            {
                delta[((i / m) * n) + (i % m)] -= before[i];
            }
        }

        var position = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            position[next.Classes[i]] = i;
        }

        foreach (var change in own)
        {
            for (var i = 0; i < (change.Replaced?.Rows.Length ?? 0); i++)
            {
                var old = change.Replaced!.Rows[i];
                if (old.Truth.DisplayName != change.Rows.Rows[i].Truth.DisplayName
                    && position.TryGetValue(old.Truth.DisplayName, out var t) && position.TryGetValue(old.Predicted.DisplayName, out var p))
                {
                    delta[(t * n) + p]--;
                }
            }
        }

        return [.. RedisKeyState.CellsOf(next.Classes, delta)];
    }
}
