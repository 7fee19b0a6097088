namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// Every SQL text of the SQLite store, in one place: the schema and its migrations, what the writer runs in its
/// transactions, what start-up reads, and the housekeeping (probe, checkpoint).
/// </summary>
internal static class SqliteSql
{
    /// <summary>Migrations[v - 1] takes a file from schema v - 1 to v.</summary>
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE keys(id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, deployment TEXT NOT NULL, predictor TEXT NOT NULL, model TEXT NOT NULL,
                          UNIQUE(namespace, deployment, predictor, model));
        CREATE TABLE classes(key_id INTEGER NOT NULL, ordinal INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY(key_id, ordinal)) WITHOUT ROWID;
        CREATE TABLE cells(key_id INTEGER NOT NULL, truth TEXT NOT NULL, predicted TEXT NOT NULL, count INTEGER NOT NULL,
                           PRIMARY KEY(key_id, truth, predicted)) WITHOUT ROWID;
        CREATE TABLE seen_events(source TEXT NOT NULL, id TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY(source, id)) WITHOUT ROWID;
        """,
        """
        CREATE INDEX seen_events_by_expiry ON seen_events(expires_at);
        """,

        // Remembered ids become an append-only table of 128-bit digests of (source, id, type) in the order they
        // were counted: no random-key B-tree insert per event, and forgetting is one range delete at its head.
        // Ids remembered by an older server were feedback events, counted under the default feedback type.
        // Metric events for the reply URL wait in an outbox written with the counts they report.
        """
        CREATE TABLE remembered_ids(seq INTEGER PRIMARY KEY, hash_high INTEGER NOT NULL, hash_low INTEGER NOT NULL, expires_at INTEGER NOT NULL);
        INSERT INTO remembered_ids(hash_high, hash_low, expires_at)
            SELECT fm_event_hash(source, id, 'io.seldon.serving.feedback', 1), fm_event_hash(source, id, 'io.seldon.serving.feedback', 0), expires_at
            FROM seen_events ORDER BY expires_at;
        DROP TABLE seen_events;
        ALTER TABLE keys ADD COLUMN reward_total REAL NOT NULL DEFAULT 0;
        ALTER TABLE keys ADD COLUMN reward_events INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE outbox(seq INTEGER PRIMARY KEY, event BLOB NOT NULL);
        """,

        // Windows survive a restart: the rows a window may still hold, one blob per model and group commit
        // (WindowRowsBlob), in sequence order per model, and each model's cumulative probability sums.
        """
        CREATE TABLE window_chunks(key_id INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, last_at INTEGER NOT NULL,
                                   row_count INTEGER NOT NULL, rows BLOB NOT NULL, PRIMARY KEY(key_id, first_seq));
        ALTER TABLE keys ADD COLUMN probabilities BLOB;
        """,

        // The late-truth join survives a restart: each pending response, parked truth and joined request (JoinBlob),
        // and each deployment's join totals, delay buckets and reliability table.
        """
        CREATE TABLE join_entries(namespace TEXT NOT NULL, deployment TEXT NOT NULL, request_id TEXT NOT NULL, entry BLOB NOT NULL,
                                  PRIMARY KEY(namespace, deployment, request_id)) WITHOUT ROWID;
        CREATE TABLE join_scopes(namespace TEXT NOT NULL, deployment TEXT NOT NULL, state BLOB NOT NULL, PRIMARY KEY(namespace, deployment)) WITHOUT ROWID;
        """,

        // Counters never go down: each cell also keeps how many rows a relabel moved out of it.
        """
        ALTER TABLE cells ADD COLUMN relabelled INTEGER NOT NULL DEFAULT 0;
        """,

        // Time windows are kept as their buckets' states (BucketStateBlob), not as rows: window_chunks keeps only what
        // the count windows hold. The first start after this step turns the stored rows into buckets once (the meta
        // mark); each model's next window sequence is kept, as with no count window no rows are.
        """
        CREATE TABLE window_buckets(key_id INTEGER NOT NULL, window_name TEXT NOT NULL, bucket INTEGER NOT NULL, state BLOB NOT NULL,
                                    PRIMARY KEY(key_id, window_name, bucket)) WITHOUT ROWID;
        ALTER TABLE keys ADD COLUMN next_window_seq INTEGER NOT NULL DEFAULT 0;
        INSERT INTO meta(name, value) VALUES ('buckets_from_rows', 'pending') ON CONFLICT(name) DO UPDATE SET value = excluded.value;
        """,

        // Join entries stay on disk, not in memory: each row carries the sequence number of its last change, indexed,
        // so expiry and the size cap read the oldest as a range scan. What each deployment holds is kept in its state
        // (JoinBlob version 2), counted once from the entries by SqliteJoinMigration in this step's transaction.
        """
        ALTER TABLE join_entries ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
        UPDATE join_entries SET seq = fm_join_seq(entry);
        CREATE INDEX join_entries_by_seq ON join_entries(seq);
        """,

        // Join entries in the order of their last change: a table with a rowid, a new version appended at its tail, and
        // no index by request id on disk (a random page write per entry, real request ids being random): each row
        // carries the 128-bit digest of its id, and the server keeps the digests' rows in memory (JoinRowIndex).
        """
        CREATE TABLE join_rows(seq INTEGER NOT NULL, hash_high INTEGER NOT NULL, hash_low INTEGER NOT NULL,
                               namespace TEXT NOT NULL, deployment TEXT NOT NULL, request_id TEXT NOT NULL, entry BLOB NOT NULL);
        INSERT INTO join_rows(seq, hash_high, hash_low, namespace, deployment, request_id, entry)
            SELECT seq, fm_join_digest(namespace, deployment, request_id, 1), fm_join_digest(namespace, deployment, request_id, 0), namespace, deployment, request_id, entry
            FROM join_entries ORDER BY seq;
        DROP TABLE join_entries;
        ALTER TABLE join_rows RENAME TO join_entries;
        CREATE INDEX join_entries_by_seq ON join_entries(seq);
        """,

        // The names a model's responses gave its classes (Seldon's data.names), shown in the JSON view: one per line,
        // CLASS_0 first (a name holds no control character, ResponseClassNames); NULL when none were given.
        """
        ALTER TABLE keys ADD COLUMN class_names TEXT;
        """,
    ];

    /// <summary>The schema version whose migration also counts what each deployment's join holds (<see cref="SqliteJoinMigration"/>).</summary>
    public const int JoinOnDiskVersion = 8;

    /// <summary>WAL, and synchronous=FULL so a commit survives power loss.</summary>
    public const string OpenPragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";

    public const string SchemaVersion = "PRAGMA user_version;";

    public const string RememberId = "INSERT INTO remembered_ids(seq, hash_high, hash_low, expires_at) VALUES ($seq, $high, $low, $expires)";

    public const string ForgetIdsThrough = "DELETE FROM remembered_ids WHERE seq <= $seq";

    public const string InsertKey = "INSERT INTO keys(namespace, deployment, predictor, model) VALUES ($ns, $dep, $pred, $model) RETURNING id";

    public const string InsertClass = "INSERT INTO classes(key_id, ordinal, name) VALUES ($key, $ordinal, $name)";

    public const string AddToCell =
        "INSERT INTO cells(key_id, truth, predicted, count) VALUES ($key, $truth, $predicted, $count) " +
        "ON CONFLICT(key_id, truth, predicted) DO UPDATE SET count = count + excluded.count";

    /// <summary>A relabel moved one row out of the cell (which holds it, so the row exists).</summary>
    public const string AddRelabelled = "UPDATE cells SET relabelled = relabelled + 1 WHERE key_id = $key AND truth = $truth AND predicted = $predicted";

    public const string AddReward = "UPDATE keys SET reward_total = reward_total + $total, reward_events = reward_events + $events WHERE id = $key";

    public const string InsertWindowChunk =
        "INSERT INTO window_chunks(key_id, first_seq, last_seq, last_at, row_count, rows) VALUES ($key, $first, $last, $at, $count, $rows)";

    public const string SetProbabilities = "UPDATE keys SET probabilities = $sums WHERE id = $key";

    /// <summary>Deletes a model's chunks no count window can hold any more: wholly before the last rows of the longest one.</summary>
    public const string PruneWindowChunks = "DELETE FROM window_chunks WHERE key_id = $key AND last_seq < $keepFrom";

    /// <summary>One bucket's stored state (a point lookup: the group merges its own rows into it).</summary>
    public const string SelectBucket = "SELECT state FROM window_buckets WHERE key_id = $key AND window_name = $window AND bucket = $bucket";

    public const string UpsertBucket =
        "INSERT INTO window_buckets(key_id, window_name, bucket, state) VALUES ($key, $window, $bucket, $state) " +
        "ON CONFLICT(key_id, window_name, bucket) DO UPDATE SET state = excluded.state";

    /// <summary>Deletes a model's buckets of one time window that have left its span.</summary>
    public const string PruneBuckets = "DELETE FROM window_buckets WHERE key_id = $key AND window_name = $window AND bucket <= $oldest";

    public const string SetNextWindowSeq = "UPDATE keys SET next_window_seq = max(next_window_seq, $next) WHERE id = $key";

    public const string SelectBuckets = "SELECT key_id, window_name, bucket, state FROM window_buckets";

    /// <summary>Set by the migration to bucket states: the first start turns the stored rows into buckets, then deletes it.</summary>
    public const string BucketsFromRowsPending = "SELECT count(*) FROM meta WHERE name = 'buckets_from_rows'";

    public const string BucketsFromRowsDone = "DELETE FROM meta WHERE name = 'buckets_from_rows'";

    public const string SelectWindowChunks = "SELECT key_id, rows FROM window_chunks ORDER BY key_id, first_seq";

    /// <summary>The window chunks of a model whose sequence range holds a row (a relabel rewrites the one that has it).</summary>
    public const string SelectWindowChunksHolding = "SELECT first_seq, rows FROM window_chunks WHERE key_id = $key AND first_seq <= $seq AND last_seq >= $seq";

    /// <summary>A relabelled row keeps its place in the windows: its chunk is written back with the row's new truth and terms.</summary>
    public const string UpdateWindowChunkRows = "UPDATE window_chunks SET rows = $rows WHERE key_id = $key AND first_seq = $first";

    /// <summary>A new version of an entry: a row at the tail (rowid and seq both grow), its rowid for the directory in memory.</summary>
    public const string InsertJoinRow =
        "INSERT INTO join_entries(seq, hash_high, hash_low, namespace, deployment, request_id, entry) VALUES ($seq, $high, $low, $ns, $dep, $id, $entry) RETURNING rowid";

    public const string DeleteJoinRow = "DELETE FROM join_entries WHERE rowid = $row";

    /// <summary>The id digests of the rows a range delete is about to take (a range of the seq index).</summary>
    public const string JoinRowsThrough = "SELECT hash_high, hash_low FROM join_entries WHERE seq <= $seq";

    /// <summary>Entries expiry and the size cap forgot, oldest first: one range of the seq index.</summary>
    public const string DeleteJoinEntriesThrough = "DELETE FROM join_entries WHERE seq <= $seq";

    public const string FindJoinRow = "SELECT namespace, deployment, request_id, entry FROM join_entries WHERE rowid = $row";

    /// <summary>Every row's place and id digest: the directory in memory is read from these at start-up.</summary>
    public const string JoinRowIds = "SELECT rowid, hash_high, hash_low FROM join_entries";

    /// <summary>The oldest entries past a sequence number (a range of the seq index).</summary>
    public const string JoinEntriesAfter = "SELECT namespace, deployment, request_id, entry FROM join_entries WHERE seq > $after ORDER BY seq LIMIT $limit";

    /// <summary>A scan of the whole table (no index by deployment: a reset of a model is rare, a write per entry is not).</summary>
    public const string JoinEntriesInScope = "SELECT namespace, deployment, request_id, entry FROM join_entries WHERE namespace = $ns AND deployment = $dep";

    public const string CountJoinEntries = "SELECT count(*) FROM join_entries";

    public const string MaxJoinSequence = "SELECT coalesce(max(seq), 0) FROM join_entries";

    public const string UpdateJoinScope = "UPDATE join_scopes SET state = $state WHERE namespace = $ns AND deployment = $dep";

    public const string UpsertJoinScope =
        "INSERT INTO join_scopes(namespace, deployment, state) VALUES ($ns, $dep, $state) " +
        "ON CONFLICT(namespace, deployment) DO UPDATE SET state = excluded.state";

    public const string SelectJoinEntries = "SELECT namespace, deployment, request_id, entry FROM join_entries";

    public const string SelectJoinScopes = "SELECT namespace, deployment, state FROM join_scopes";

    public const string InsertOutbox = "INSERT INTO outbox(seq, event) VALUES ($seq, $event)";

    public const string DeleteOutbox = "DELETE FROM outbox WHERE seq = $seq";

    public const string ResetKey = "DELETE FROM window_chunks WHERE key_id = $key; DELETE FROM window_buckets WHERE key_id = $key; DELETE FROM cells WHERE key_id = $key; DELETE FROM classes WHERE key_id = $key; DELETE FROM keys WHERE id = $key;";

    public const string SetClassNames = "UPDATE keys SET class_names = $names WHERE id = $key";

    public const string SelectClassNames = "SELECT namespace, deployment, predictor, model, class_names FROM keys WHERE class_names IS NOT NULL";

    public const string SelectKeys = "SELECT id, namespace, deployment, predictor, model, reward_total, reward_events, probabilities, next_window_seq FROM keys";

    public const string SelectClasses = "SELECT key_id, name FROM classes ORDER BY key_id, ordinal";

    public const string SelectCells = "SELECT key_id, truth, predicted, count, relabelled FROM cells";

    public const string SelectOutbox = "SELECT seq, event FROM outbox ORDER BY seq";

    public const string CountRememberedIds = "SELECT count(*) FROM remembered_ids";

    public const string SelectRememberedIds = "SELECT seq, hash_high, hash_low, expires_at FROM remembered_ids ORDER BY seq";

    /// <summary>Proves a write commits (start-up and recovery).</summary>
    public const string ProbeWrite = "INSERT INTO meta(name, value) VALUES ('last_open', $at) ON CONFLICT(name) DO UPDATE SET value = excluded.value";

    public const string Checkpoint = "PRAGMA wal_checkpoint(TRUNCATE);";

    /// <summary>Deletes the buckets of every window but the <paramref name="kept"/> named by parameters $w0, $w1, …</summary>
    public static string DeleteBucketsOfOtherWindows(int kept) =>
        "DELETE FROM window_buckets" + (kept == 0 ? "" : $" WHERE window_name NOT IN ({string.Join(", ", Enumerable.Range(0, kept).Select(i => $"$w{i}"))})");

    public static string SetSchemaVersion(long version) => $"PRAGMA user_version = {version};";
}
