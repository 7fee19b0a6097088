using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>Rebuilds the read model and the remembered ids from the state file.</summary>
internal static class SqliteStateLoader
{
    /// <summary>
    /// Fills the (emptied) book and dedupe window; returns the id of every key, the next id sequence number and the next
    /// outbox one. The time windows come back from their bucket states and the rows fill the count windows, unless
    /// <paramref name="bucketsFromRows"/> (the first start after the migration to buckets): then the rows rebuild every window.
    /// </summary>
    public static (Dictionary<MetricKey, long> KeyIds, long NextSeq, long NextOutboxSeq) Load(SqliteConnection connection, MetricsBook book, DedupeWindow dedupe, Func<long, bool> outboxKnown, Action<OutboxEntry> restoreOutbox, bool bucketsFromRows)
    {
        book.Clear();
        dedupe.Clear();
        var keys = new Dictionary<long, (MetricKey Key, double RewardTotal, long RewardEvents, ProbabilitySums? Probabilities, long NextWindowSeq)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = SqliteSql.SelectKeys;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = new MetricKey(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
                var probabilities = reader.IsDBNull(7) ? null : ProbabilitySumsBlob.Read((byte[])reader.GetValue(7));
                keys[reader.GetInt64(0)] = (key, reader.GetDouble(5), reader.GetInt64(6), probabilities, reader.GetInt64(8));
            }
        }

        var classes = keys.Keys.ToDictionary(id => id, _ => new List<string>());
        using (var command = connection.CreateCommand())
        {
            command.CommandText = SqliteSql.SelectClasses;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                classes[reader.GetInt64(0)].Add(reader.GetString(1));
            }
        }

        var cells = keys.Keys.ToDictionary(id => id, _ => new List<(string, string, long)>());
        var relabelled = new Dictionary<long, List<(string, string, long)>>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = SqliteSql.SelectCells;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                cells[reader.GetInt64(0)].Add((reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
                if (reader.GetInt64(4) is var moved and not 0)
                {
                    (relabelled.TryGetValue(reader.GetInt64(0), out var list) ? list : relabelled[reader.GetInt64(0)] = []).Add((reader.GetString(1), reader.GetString(2), moved));
                }
            }
        }

        var rows = LoadWindowRows(connection, keys.Keys);
        var buckets = bucketsFromRows ? null : LoadBuckets(connection, keys.Keys);
        foreach (var (id, (key, rewardTotal, rewardEvents, probabilities, nextWindowSeq)) in keys)
        {
            book.GetOrCreate(key).Restore(new KeyState(classes[id], cells[id], rewardTotal, rewardEvents, probabilities, rows[id], relabelled.GetValueOrDefault(id), buckets?[id], nextWindowSeq));
        }

        return (keys.ToDictionary(k => k.Value.Key, k => k.Key), LoadRememberedIds(connection, dedupe), LoadOutbox(connection, outboxKnown, restoreOutbox));
    }

    /// <summary>The rows a window may still hold, per model in sequence order (see <see cref="WindowRowsBlob"/>).</summary>
    private static Dictionary<long, List<CountedRow>> LoadWindowRows(SqliteConnection connection, IEnumerable<long> keyIds)
    {
        var rows = keyIds.ToDictionary(id => id, _ => new List<CountedRow>());
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.SelectWindowChunks;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (rows.TryGetValue(reader.GetInt64(0), out var list))
            {
                WindowRowsBlob.Read((byte[])reader.GetValue(1), list);
            }
        }

        return rows;
    }

    /// <summary>The time windows' bucket states, per model (see <see cref="BucketStateBlob"/>).</summary>
    private static Dictionary<long, List<(string, BucketState)>> LoadBuckets(SqliteConnection connection, IEnumerable<long> keyIds)
    {
        var buckets = keyIds.ToDictionary(id => id, _ => new List<(string, BucketState)>());
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.SelectBuckets;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (buckets.TryGetValue(reader.GetInt64(0), out var list))
            {
                list.Add((reader.GetString(1), BucketStateBlob.Read(reader.GetInt64(2), (byte[])reader.GetValue(3))));
            }
        }

        return buckets;
    }

    /// <summary>Hands every metric event still waiting to the sender (those it already holds excepted); returns the next outbox sequence number.</summary>
    private static long LoadOutbox(SqliteConnection connection, Func<long, bool> known, Action<OutboxEntry> restore)
    {
        long last = 0;
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.SelectOutbox;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            last = reader.GetInt64(0);
            if (!known(last))
            {
                restore(new OutboxEntry(last, MetricEventBlob.Read((byte[])reader.GetValue(1))));
            }
        }

        return last + 1;
    }

    /// <summary>Reads the remembered ids in the order they were counted (the window keeps the newest); returns the next sequence number.</summary>
    private static long LoadRememberedIds(SqliteConnection connection, DedupeWindow dedupe)
    {
        long last = 0;
        dedupe.Reserve((int)Math.Min(SqliteStateFile.Scalar(connection, SqliteSql.CountRememberedIds), int.MaxValue));
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.SelectRememberedIds;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            last = reader.GetInt64(0);
            dedupe.TryAdd(EventHash.FromHalves(reader.GetInt64(1), reader.GetInt64(2)), last, reader.GetInt64(3));
        }

        return last + 1;
    }
}
