using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>Rebuilds the read model from the state file: every key, its classes in order, its cells.</summary>
internal static class SqliteStateLoader
{
    /// <summary>Fills the (emptied) book and returns the id of every key, and how many event ids are remembered.</summary>
    public static (Dictionary<MetricKey, long> KeyIds, long RememberedIds) Load(SqliteConnection connection, MetricsBook book, long nowUnixMs)
    {
        book.Clear();
        var keys = new Dictionary<long, MetricKey>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, namespace, deployment, predictor, model FROM keys";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                keys[reader.GetInt64(0)] = new MetricKey(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
            }
        }

        var classes = keys.Keys.ToDictionary(id => id, _ => new List<string>());
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT key_id, name FROM classes ORDER BY key_id, ordinal";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                classes[reader.GetInt64(0)].Add(reader.GetString(1));
            }
        }

        var cells = keys.Keys.ToDictionary(id => id, _ => new List<(string, string, long)>());
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT key_id, truth, predicted, count FROM cells";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                cells[reader.GetInt64(0)].Add((reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
            }
        }

        foreach (var (id, key) in keys)
        {
            book.GetOrCreate(key).Restore(classes[id], cells[id]);
        }

        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM seen_events WHERE expires_at > $now";
        count.Parameters.AddWithValue("$now", nowUnixMs);
        var remembered = (long)count.ExecuteScalar()!;
        return (keys.ToDictionary(k => k.Value, k => k.Key), remembered);
    }
}
