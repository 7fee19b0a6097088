using FeedbackMetrics.Core.Identity;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>The prepared statements of the writer, bound to one connection; each runs inside the current transaction.</summary>
internal sealed class SqliteStatements : IDisposable
{
    private readonly SqliteCommand _insertSeen;
    private readonly SqliteCommand _deleteSeen;
    private readonly SqliteCommand _insertKey;
    private readonly SqliteCommand _insertClass;
    private readonly SqliteCommand _addToCell;

    public SqliteStatements(SqliteConnection connection)
    {
        Connection = connection;
        _insertSeen = Command("INSERT OR IGNORE INTO seen_events(source, id, expires_at) VALUES ($source, $id, $expires)", "$source", "$id", "$expires");
        _deleteSeen = Command("DELETE FROM seen_events WHERE source = $source AND id = $id", "$source", "$id");
        _insertKey = Command("INSERT INTO keys(namespace, deployment, predictor, model) VALUES ($ns, $dep, $pred, $model) RETURNING id", "$ns", "$dep", "$pred", "$model");
        _insertClass = Command("INSERT INTO classes(key_id, ordinal, name) VALUES ($key, $ordinal, $name)", "$key", "$ordinal", "$name");
        _addToCell = Command(
            "INSERT INTO cells(key_id, truth, predicted, count) VALUES ($key, $truth, $predicted, $count) " +
            "ON CONFLICT(key_id, truth, predicted) DO UPDATE SET count = count + excluded.count",
            "$key", "$truth", "$predicted", "$count");
    }

    public SqliteConnection Connection { get; }

    public SqliteTransaction? Transaction
    {
        set
        {
            foreach (var command in new[] { _insertSeen, _deleteSeen, _insertKey, _insertClass, _addToCell })
            {
                command.Transaction = value;
            }
        }
    }

    /// <summary>Remembers the id; false when it was already remembered (a redelivery).</summary>
    public bool InsertSeen(CloudEventId id, long expiresAt) => Run(_insertSeen, id.Source, id.Id, expiresAt) == 1;

    public void DeleteSeen(CloudEventId id) => Run(_deleteSeen, id.Source, id.Id);

    public long InsertKey(MetricKey key)
    {
        Bind(_insertKey, key.Namespace, key.Deployment, key.Predictor, key.Model);
        return (long)_insertKey.ExecuteScalar()!;
    }

    public void InsertClass(long keyId, int ordinal, string name) => Run(_insertClass, keyId, ordinal, name);

    public void AddToCell(long keyId, string truth, string predicted, long count) => Run(_addToCell, keyId, truth, predicted, count);

    public void Dispose()
    {
        foreach (var command in new[] { _insertSeen, _deleteSeen, _insertKey, _insertClass, _addToCell })
        {
            command.Dispose();
        }
    }

    private static int Run(SqliteCommand command, params object[] values)
    {
        Bind(command, values);
        return command.ExecuteNonQuery();
    }

    private static void Bind(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }
}
