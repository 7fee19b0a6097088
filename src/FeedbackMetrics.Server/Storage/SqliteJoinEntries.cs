using FeedbackMetrics.Core.Join;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// The committed join entries in the state file, read for the ledger (<see cref="IJoinEntryStore"/>) through a
/// connection of their own: the ledger asks from whichever thread calls it (the writer while it plans a group, a
/// scrape or the JSON view when expiry is due), always under its lock, and the writer's connection belongs to the
/// writer thread. In WAL mode this connection sees the last commit and never the writer's open transaction; what is
/// not committed yet the ledger holds itself. Each read is its own statement, or, while the writer plans a group, the
/// group's reads share one read transaction (<see cref="BeginBatch"/>), so no snapshot stays open long enough to hold
/// back checkpoints. A failed read closes the connection; the next one reopens it.
/// <para>
/// Rows are found through <see cref="JoinRowIndex"/>, the id of every committed entry to its rowid, held in memory:
/// a new response's lookup (its id is almost never there) reads nothing, a truth's reads one row by rowid, and the
/// file has no index by request id, whose random inserts and deletes cost a page write each. The writer tells it
/// what its transaction writes (<see cref="BeginWrite"/>, <see cref="Written"/>, <see cref="Deleted"/>) and that it
/// committed (<see cref="Committed"/>); a start-up reads it from the file (<see cref="Load"/>).
/// </para>
/// </summary>
/// <param name="directory">The state directory.</param>
internal sealed class SqliteJoinEntries(string directory) : IJoinEntryStore, IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SqliteCommand> _commands = [];
    private readonly JoinRowIndex _index = new();
    private SqliteConnection? _connection;
    private bool _disposed;

    /// <summary>Reads share one read transaction until <see cref="EndBatch"/>; <see cref="_batchOpen"/>: it has begun.</summary>
    private bool _batch;
    private bool _batchOpen;

    /// <summary>Lookups answered from memory without reading (the id has no committed row).</summary>
    public long Skipped { get; private set; }

    /// <summary>Entries whose row the directory in memory knows.</summary>
    public int Indexed
    {
        get
        {
            lock (_lock)
            {
                return _index.Count;
            }
        }
    }

    public JoinRecord? Find(JoinScope scope, string requestId)
    {
        lock (_lock)
        {
            if (!_index.TryGetCommitted(JoinRowIndex.DigestOf(scope, requestId), out var row))
            {
                Skipped++;
                return null;
            }

            return Read(SqliteSql.FindJoinRow, command =>
            {
                Set(command, "$row", row);
                using var reader = command.ExecuteReader();
                return reader.Read() && reader.GetString(0) == scope.Namespace && reader.GetString(1) == scope.Deployment && reader.GetString(2) == requestId
                    ? JoinBlob.ReadRecord(scope, requestId, (byte[])reader.GetValue(3))
                    : null;
            });
        }
    }

    /// <summary>Reads the directory of rows from the file (start-up, and after the file was loaded again); no write transaction is open.</summary>
    public void Load()
    {
        lock (_lock)
        {
            _index.Clear();
            Read(SqliteSql.JoinRowIds, command =>
            {
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    _index.Load(IdDigest.FromColumns(reader.GetInt64(1), reader.GetInt64(2)), reader.GetInt64(0));
                }

                return 0;
            });
        }
    }

    /// <summary>The writer begins writing the join's changes in a transaction: what a failed one left aside is dropped.</summary>
    public void BeginWrite()
    {
        lock (_lock)
        {
            _index.Begin();
        }
    }

    /// <summary>The row an id has in the writer's open transaction, or null.</summary>
    public long? RowOf(IdDigest id)
    {
        lock (_lock)
        {
            return _index.TryGetWriting(id, out var row) ? row : null;
        }
    }

    /// <summary>The writer's transaction wrote an entry's row.</summary>
    public void Written(IdDigest id, long row)
    {
        lock (_lock)
        {
            _index.Written(id, row);
        }
    }

    /// <summary>The writer's transaction deleted an entry's row (on its own, or with the forgotten range).</summary>
    public void Deleted(IdDigest id)
    {
        lock (_lock)
        {
            _index.Deleted(id);
        }
    }

    /// <summary>The writer's transaction with the join's changes committed: lookups find its rows from now on.</summary>
    public void Committed()
    {
        lock (_lock)
        {
            _index.Committed();
        }
    }

    /// <summary>
    /// From the writer, while it plans a group and commits nothing: the reads until <see cref="EndBatch"/> share one read
    /// transaction, so each lookup does not take and release the file's locks again. It sees the last commit, as each
    /// read on its own would, because no commit can come before <see cref="EndBatch"/>.
    /// </summary>
    public void BeginBatch()
    {
        lock (_lock)
        {
            _batch = true;
        }
    }

    /// <summary>Ends the shared read transaction, before the writer commits: later reads must see that commit.</summary>
    public void EndBatch()
    {
        lock (_lock)
        {
            _batch = false;
            if (_batchOpen)
            {
                _batchOpen = false;
                try
                {
                    Execute("COMMIT");
                }
                catch (SqliteException)
                {
                    Drop(); // closing the connection ends the transaction as well
                }
            }
        }
    }

    public IReadOnlyList<JoinRecord> After(long afterSequence, int limit) => Read(SqliteSql.JoinEntriesAfter, command =>
    {
        Set(command, "$after", afterSequence);
        Set(command, "$limit", limit);
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
            _index.Clear(); // a stopped store that is still referenced holds no directory
        }
    }

    /// <summary>Gives a prepared statement's parameter its value, made the first time: a lookup per truth allocates no parameter.</summary>
    private static void Set(SqliteCommand command, string name, object value)
    {
        var at = command.Parameters.IndexOf(name);
        if (at < 0)
        {
            command.Parameters.AddWithValue(name, value);
        }
        else
        {
            command.Parameters[at].Value = value;
        }
    }

    private static void Bind(SqliteCommand command, JoinScope scope)
    {
        Set(command, "$ns", scope.Namespace);
        Set(command, "$dep", scope.Deployment);
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
                if (_batch && !_batchOpen)
                {
                    Execute("BEGIN");
                    _batchOpen = true;
                }

                // One prepared statement per query for the connection's life: a lookup per response must not parse SQL.
                if (!_commands.TryGetValue(sql, out var command))
                {
                    command = _connection.CreateCommand();
                    command.CommandText = sql;
                    _commands[sql] = command;
                }

                return read(command);
            }
            catch (SqliteException)
            {
                Drop();
                throw;
            }
        }
    }

    private void Execute(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection!.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }

        command.ExecuteNonQuery();
    }

    private void Drop()
    {
        _batchOpen = false;
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
