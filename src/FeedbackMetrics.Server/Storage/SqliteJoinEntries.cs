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
/// Bloom filters of the ids on disk (<see cref="JoinIdFilter"/>) answer most lookups of an id that is not there — every
/// new response's — without reading. Together they must hold every id on disk: the writer adds each row it writes
/// (<see cref="Writing"/>) before the commit. The first filter is built by scanning the rows that were on disk when it
/// was started (<see cref="AdvanceFilter"/>, a chunk per group) while also taking every row written meanwhile; only a
/// complete one is asked. A filter cannot forget, and at the cap every new response evicts the oldest, so the ids
/// written go into generations: when the newest is full (half the cap) a new one starts, and a generation is dropped
/// once a committed range delete has taken every row written while it was the newest (<see cref="Committed"/>). A
/// lookup asks every live generation. Should ids of rows deleted one by one (corrections, resets) keep too many
/// generations alive, the filters are built again by a scan.
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

    /// <summary>Generations beyond which the filters are built again by a scan instead of growing another.</summary>
    private const int MaxGenerations = 6;

    /// <summary>Together hold every id on disk, oldest first, the last one taking the ids written; empty until the first build is complete (then every lookup reads).</summary>
    private readonly List<Generation> _generations = [];

    /// <summary>The filter being built: every id written since it was started, and those scanned through <see cref="_scannedThrough"/>.</summary>
    private Generation? _building;
    private long _scannedThrough;
    private long _scanTo;

    /// <summary>Commits whose join changes completed (<see cref="Committed"/>): a generation closed after the n-th is dropped only by a later one's delete.</summary>
    private long _commits;

    /// <summary>Reads share one read transaction until <see cref="EndBatch"/>; <see cref="_batchOpen"/>: it has begun.</summary>
    private bool _batch;
    private bool _batchOpen;

    /// <summary>Lookups the filter answered without reading.</summary>
    public long Skipped { get; private set; }

    /// <summary>Filters built by a scan of the rows on disk (the first, and any after too many generations).</summary>
    public long Builds { get; private set; }

    /// <summary>Generations of filters held now.</summary>
    public int Generations
    {
        get
        {
            lock (_lock)
            {
                return _generations.Count;
            }
        }
    }

    public JoinRecord? Find(JoinScope scope, string requestId)
    {
        lock (_lock)
        {
            if (_generations.Count > 0 && !MayContain(JoinIdFilter.HashOf(scope, requestId)))
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
    public void Writing(JoinScope scope, string requestId, long sequence)
    {
        lock (_lock)
        {
            if (_generations.Count == 0 && _building is null)
            {
                return;
            }

            var hash = JoinIdFilter.HashOf(scope, requestId);
            if (_generations.Count > 0)
            {
                _generations[^1].Add(hash, sequence);
            }

            _building?.Add(hash, sequence);
        }
    }

    /// <summary>
    /// A commit with the join's changes succeeded, its range delete having taken every row up to
    /// <paramref name="deletedThrough"/> (0: none): the generations closed before it began whose rows all lie in that
    /// range are dropped. Rows the commit wrote after its delete went into the newest generation, which stays.
    /// </summary>
    public void Committed(long deletedThrough)
    {
        lock (_lock)
        {
            _commits++;
            while (_generations.Count > 1 && _generations[0].ClosedAfter < _commits && _generations[0].MaxSequence <= deletedThrough)
            {
                _generations.RemoveAt(0);
            }
        }
    }

    /// <summary>
    /// One step of keeping the filters, from the writer between its transactions (none open, so every row written so
    /// far is committed and seen here): starts a new generation when the newest is full, or a build by a scan when
    /// there is no filter or too many generations; a build reads the next chunk of the rows that were on disk when it
    /// started, in sequence order, and once through them replaces every generation. Rows rewritten during the build
    /// carry a new sequence number, but were added as they were written; rows put back with an old one too.
    /// </summary>
    public void AdvanceFilter()
    {
        lock (_lock)
        {
            if (_building is null)
            {
                if (_filterCapacity == 0 || (_generations.Count > 0 && !_generations[^1].Filter.Full))
                {
                    return;
                }

                if (_generations.Count is > 0 and < MaxGenerations)
                {
                    _generations[^1].ClosedAfter = _commits;
                    _generations.Add(new Generation(new JoinIdFilter(Math.Max(1, _filterCapacity / 2))));
                    return;
                }

                Builds++;
                _scanTo = MaxSequence();
                _building = new Generation(new JoinIdFilter(_filterCapacity)) { MaxSequence = _scanTo };
                _scannedThrough = long.MinValue;
            }

            var building = _building;
            var (rows, first, last) = Read(SqliteSql.JoinIdsBetween, command =>
            {
                Set(command, "$after", _scannedThrough);
                Set(command, "$through", _scanTo);
                Set(command, "$limit", filterChunk);
                var (count, low, high) = (0, 0L, 0L);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    high = reader.GetInt64(3);
                    building.Add(JoinIdFilter.HashOf(new JoinScope(reader.GetString(0), reader.GetString(1)), reader.GetString(2)), high);
                    low = count++ == 0 ? high : low;
                }

                return (count, low, high);
            });

            if (rows < filterChunk)
            {
                _generations.Clear();
                _generations.Add(building);
                _building = null;
            }
            else if (first == last)
            {
                // A whole chunk of one sequence number: the scan cannot page on; lookups read, as before there was a filter.
                _generations.Clear();
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
            _generations.Clear();
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
            _generations.Clear(); // a stopped store that is still referenced holds no filter
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

    private bool MayContain(UInt128 hash)
    {
        foreach (var generation in _generations)
        {
            if (generation.Filter.MayContain(hash))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A filter of the ids written while it was the newest (or scanned into it), the highest sequence number among them, and when it stopped taking ids.</summary>
    private sealed class Generation(JoinIdFilter filter)
    {
        public JoinIdFilter Filter { get; } = filter;

        public long MaxSequence { get; set; } = long.MinValue;

        /// <summary>How many commits had completed when a newer generation took over (long.MaxValue while it is the newest).</summary>
        public long ClosedAfter { get; set; } = long.MaxValue;

        public void Add(UInt128 hash, long sequence)
        {
            Filter.Add(hash);
            MaxSequence = Math.Max(MaxSequence, sequence);
        }
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
