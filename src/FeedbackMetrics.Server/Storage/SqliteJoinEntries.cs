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
/// A Bloom filter of the ids on disk (<see cref="JoinIdFilter"/>) answers most lookups of an id that is not there — every
/// new response's — without reading. It must hold every id on disk: the writer adds each row it writes
/// (<see cref="Writing"/>) before the commit, and a filter is built by scanning the rows that were on disk when it was
/// started (<see cref="AdvanceFilter"/>, a chunk per group) while also taking every row written meanwhile; only a
/// complete one is asked. Ids of rows deleted since stay in it (a lookup more, never a wrong answer) until it is full
/// and a new one replaces it.
/// </para>
/// </summary>
/// <param name="directory">The state directory.</param>
/// <param name="filterCapacity">Ids the filter is sized for (the join's cap on entries); 0: no filter, every lookup reads.</param>
/// <param name="filterChunk">Rows a build step reads: a few milliseconds at most, so a build does not stall a commit.</param>
internal sealed class SqliteJoinEntries(string directory, int filterCapacity, int filterChunk = 2048) : IJoinEntryStore, IDisposable
{
    private int _filterCapacity = filterCapacity;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, SqliteCommand> _commands = [];
    private SqliteConnection? _connection;
    private bool _disposed;

    /// <summary>Holds every id on disk; null until the first build is complete (then every lookup reads).</summary>
    private JoinIdFilter? _filter;

    /// <summary>The filter being built: every id written since it was started, and those scanned through <see cref="_scannedThrough"/>.</summary>
    private JoinIdFilter? _building;
    private long _scannedThrough;
    private long _scanTo;

    /// <summary>Reads share one read transaction until <see cref="EndBatch"/>; <see cref="_batchOpen"/>: it has begun.</summary>
    private bool _batch;
    private bool _batchOpen;

    /// <summary>Lookups the filter answered without reading.</summary>
    public long Skipped { get; private set; }

    public JoinRecord? Find(JoinScope scope, string requestId)
    {
        lock (_lock)
        {
            if (_filter is { } filter && !filter.MayContain(JoinIdFilter.HashOf(scope, requestId)))
            {
                Skipped++;
                return null;
            }

            return Read(SqliteSql.FindJoinEntry, command =>
            {
                Bind(command, scope);
                Set(command, "$id", requestId);
                return command.ExecuteScalar() is byte[] blob ? JoinBlob.ReadRecord(scope, requestId, blob) : null;
            });
        }
    }

    /// <summary>The writer is about to write this row (in a transaction not yet committed): its id goes into the filters first.</summary>
    public void Writing(JoinScope scope, string requestId)
    {
        lock (_lock)
        {
            if (_filter is null && _building is null)
            {
                return;
            }

            var hash = JoinIdFilter.HashOf(scope, requestId);
            _filter?.Add(hash);
            _building?.Add(hash);
        }
    }

    /// <summary>
    /// One step of building a filter, from the writer between its transactions (none open, so every row written so far
    /// is committed and seen here): starts a build when there is no filter or it is full, then reads the next chunk of
    /// the rows that were on disk when the build started, in sequence order; once through them, the new filter is used.
    /// Rows rewritten during the build carry a new sequence number, but were added as they were written; rows put back
    /// with an old one too.
    /// </summary>
    public void AdvanceFilter()
    {
        lock (_lock)
        {
            if (_building is null)
            {
                if (_filter is { Full: false } || _filterCapacity == 0)
                {
                    return;
                }

                _building = new JoinIdFilter(_filterCapacity);
                _scanTo = MaxSequence();
                _scannedThrough = long.MinValue;
            }

            var (rows, first, last) = Read(SqliteSql.JoinIdsBetween, command =>
            {
                Set(command, "$after", _scannedThrough);
                Set(command, "$through", _scanTo);
                Set(command, "$limit", filterChunk);
                var (count, low, high) = (0, 0L, 0L);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    _building.Add(JoinIdFilter.HashOf(new JoinScope(reader.GetString(0), reader.GetString(1)), reader.GetString(2)));
                    high = reader.GetInt64(3);
                    low = count++ == 0 ? high : low;
                }

                return (count, low, high);
            });

            if (rows < filterChunk)
            {
                _filter = _building;
                _building = null;
            }
            else if (first == last)
            {
                // A whole chunk of one sequence number: the scan cannot page on; lookups read, as before there was a filter.
                _filter = null;
                _building = null;
                _filterCapacity = 0;
            }
            else
            {
                // The next chunk starts at the last number again: should numbers repeat, a row sharing it is not passed over.
                _scannedThrough = last - 1;
            }
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

    /// <summary>Drops the filters (the file was loaded again): lookups read until a new one is built.</summary>
    public void ForgetFilter()
    {
        lock (_lock)
        {
            _filter = null;
            _building = null;
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
            _filter = null; // a stopped store that is still referenced holds no filter
            _building = null;
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
