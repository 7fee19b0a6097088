using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>The writer's prepared statements for the join and for moving a relabelled row, bound to one connection.</summary>
internal sealed class SqliteJoinStatements : IDisposable
{
    private readonly SqliteCommand _insertEntry;
    private readonly SqliteCommand _deleteRow;
    private readonly SqliteCommand _rowsThrough;
    private readonly SqliteCommand _deleteEntriesThrough;
    private readonly SqliteCommand _upsertScope;
    private readonly SqliteCommand _selectChunks;
    private readonly SqliteCommand _updateChunk;
    private readonly SqliteJoinEntries _entries;

    /// <param name="entries">The reader of the entries, whose directory of rows learns of every row written and deleted here.</param>
    public SqliteJoinStatements(SqliteConnection connection, SqliteJoinEntries entries)
    {
        _entries = entries;
        _insertEntry = Command(connection, SqliteSql.InsertJoinRow, "$seq", "$high", "$low", "$ns", "$dep", "$id", "$entry");
        _deleteRow = Command(connection, SqliteSql.DeleteJoinRow, "$row");
        _rowsThrough = Command(connection, SqliteSql.JoinRowsThrough, "$seq");
        _deleteEntriesThrough = Command(connection, SqliteSql.DeleteJoinEntriesThrough, "$seq");
        _upsertScope = Command(connection, SqliteSql.UpsertJoinScope, "$ns", "$dep", "$state");
        _selectChunks = Command(connection, SqliteSql.SelectWindowChunksHolding, "$key", "$seq");
        _updateChunk = Command(connection, SqliteSql.UpdateWindowChunkRows, "$key", "$first", "$rows");
    }

    public SqliteTransaction? Transaction
    {
        set
        {
            foreach (var command in new[] { _insertEntry, _deleteRow, _rowsThrough, _deleteEntriesThrough, _upsertScope, _selectChunks, _updateChunk })
            {
                command.Transaction = value;
            }
        }
    }

    /// <summary>
    /// Writes what the join changed: the range expiry and the cap forgot, entries written (a new version is a new row at
    /// the tail, its old row deleted) and forgotten, deployment states.
    /// </summary>
    public void Write(JoinChanges changes)
    {
        _entries.BeginWrite();
        if (changes.DeleteThrough > 0)
        {
            // First: a version written below may carry an old number. The ids of the rows it takes leave the directory.
            Bind(_rowsThrough, changes.DeleteThrough);
            using (var reader = _rowsThrough.ExecuteReader())
            {
                while (reader.Read())
                {
                    _entries.Deleted(IdDigest.FromColumns(reader.GetInt64(0), reader.GetInt64(1)));
                }
            }

            Run(_deleteEntriesThrough, changes.DeleteThrough);
        }

        foreach (var record in changes.Written)
        {
            var id = JoinRowIndex.DigestOf(record.Scope, record.RequestId);
            DeleteRowOf(id);
            Bind(_insertEntry, record.Sequence, id.HighColumn, id.LowColumn, record.Scope.Namespace, record.Scope.Deployment, record.RequestId, JoinBlob.Write(record));
            _entries.Written(id, (long)_insertEntry.ExecuteScalar()!);
        }

        foreach (var (scope, requestId) in changes.Deleted)
        {
            var id = JoinRowIndex.DigestOf(scope, requestId);
            DeleteRowOf(id);
            _entries.Deleted(id);
        }

        foreach (var state in changes.Scopes)
        {
            Run(_upsertScope, state.Scope.Namespace, state.Scope.Deployment, JoinBlob.Write(state));
        }
    }

    private void DeleteRowOf(IdDigest id)
    {
        if (_entries.RowOf(id) is { } row)
        {
            Run(_deleteRow, row);
        }
    }

    /// <summary>
    /// Gives a stored window row its new truth and probability terms (a relabel): the chunk that holds it is read and
    /// written back. A row already pruned is in no chunk, and nothing is written.
    /// </summary>
    public void UpdateWindowRow(long keyId, CountedRow counted)
    {
        var seq = counted.Stamp.Sequence;
        _selectChunks.Parameters[0].Value = keyId;
        _selectChunks.Parameters[1].Value = seq;
        var chunks = new List<(long First, byte[] Rows)>();
        using (var reader = _selectChunks.ExecuteReader())
        {
            while (reader.Read())
            {
                chunks.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
            }
        }

        foreach (var (first, blob) in chunks)
        {
            var rows = new List<CountedRow>();
            WindowRowsBlob.Read(blob, rows);
            var at = rows.FindIndex(r => r.Stamp.Sequence == seq);
            if (at >= 0)
            {
                rows[at] = counted;
                Run(_updateChunk, keyId, first, WindowRowsBlob.Write(rows));
                return;
            }
        }
    }

    /// <summary>Every deployment's stored state (start-up; the entries stay on disk, <see cref="SqliteJoinEntries"/>).</summary>
    public static List<JoinScopeState> LoadScopes(SqliteConnection connection)
    {
        var scopes = new List<JoinScopeState>();
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.SelectJoinScopes;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            scopes.Add(JoinBlob.ReadState(new JoinScope(reader.GetString(0), reader.GetString(1)), (byte[])reader.GetValue(2)));
        }

        return scopes;
    }

    public void Dispose()
    {
        _insertEntry.Dispose();
        _deleteRow.Dispose();
        _rowsThrough.Dispose();
        _deleteEntriesThrough.Dispose();
        _upsertScope.Dispose();
        _selectChunks.Dispose();
        _updateChunk.Dispose();
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        Bind(command, values);
        command.ExecuteNonQuery();
    }

    private static void Bind(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }
}
