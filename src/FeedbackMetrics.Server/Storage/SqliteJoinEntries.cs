using FeedbackMetrics.Core.Join;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// The committed join entries in the state file, read for the ledger (<see cref="IJoinEntryStore"/>) through a
/// connection of their own: the ledger asks from whichever thread calls it (the writer while it plans a group, a
/// scrape or the JSON view when expiry is due), always under its lock, and the writer's connection belongs to the
/// writer thread. In WAL mode this connection sees the last commit and never the writer's open transaction; what is
/// not committed yet the ledger holds itself. Each read is its own statement, so no snapshot stays open to hold back
/// checkpoints. A failed read closes the connection; the next one reopens it.
/// </summary>
internal sealed class SqliteJoinEntries(string directory) : IJoinEntryStore, IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SqliteCommand> _commands = [];
    private SqliteConnection? _connection;
    private bool _disposed;

    public JoinRecord? Find(JoinScope scope, string requestId) => Read(SqliteSql.FindJoinEntry, command =>
    {
        Bind(command, scope);
        command.Parameters.AddWithValue("$id", requestId);
        return command.ExecuteScalar() is byte[] blob ? JoinBlob.ReadRecord(scope, requestId, blob) : null;
    });

    public IReadOnlyList<JoinRecord> After(long afterSequence, int limit) => Read(SqliteSql.JoinEntriesAfter, command =>
    {
        command.Parameters.AddWithValue("$after", afterSequence);
        command.Parameters.AddWithValue("$limit", limit);
        return Records(command);
    });

    public IReadOnlyList<JoinRecord> InScope(JoinScope scope) => Read(SqliteSql.JoinEntriesInScope, command =>
    {
        Bind(command, scope);
        return Records(command);
    });

    public long Count() => Read(SqliteSql.CountJoinEntries, command => (long)command.ExecuteScalar()!);

    public long MaxSequence() => Read(SqliteSql.MaxJoinSequence, command => (long)command.ExecuteScalar()!);

    /// <summary>Closes the connection (the store stops, or the file failed); a later read opens it again.</summary>
    public void Close()
    {
        lock (_lock)
        {
            Drop();
        }
    }

    /// <summary>Closes the connection for good (the store stops): the file must not be opened again behind its back.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            Drop();
        }
    }

    private static void Bind(SqliteCommand command, JoinScope scope)
    {
        command.Parameters.AddWithValue("$ns", scope.Namespace);
        command.Parameters.AddWithValue("$dep", scope.Deployment);
    }

    private static List<JoinRecord> Records(SqliteCommand command)
    {
        var records = new List<JoinRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(JoinBlob.ReadRecord(new JoinScope(reader.GetString(0), reader.GetString(1)), reader.GetString(2), (byte[])reader.GetValue(3)));
        }

        return records;
    }

    private T Read<T>(string sql, Func<SqliteCommand, T> read)
    {
        lock (_lock)
        {
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _connection ??= Open();

                // One prepared statement per query for the connection's life: a lookup per response must not parse SQL.
                if (!_commands.TryGetValue(sql, out var command))
                {
                    command = _connection.CreateCommand();
                    command.CommandText = sql;
                    _commands[sql] = command;
                }

                command.Parameters.Clear();
                return read(command);
            }
            catch (SqliteException)
            {
                Drop();
                throw;
            }
        }
    }

    private void Drop()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        _connection?.Dispose();
        _connection = null;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = SqliteStateFile.PathIn(directory),
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 2,
        }.ToString());
        connection.Open();
        return connection;
    }
}
