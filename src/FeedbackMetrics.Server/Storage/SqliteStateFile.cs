using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.State;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// Opens the SQLite state file (WAL, synchronous=FULL so a commit survives power loss) and brings its schema
/// to the current version. The version lives in <c>PRAGMA user_version</c>; each step of <see cref="Migrations"/>
/// moves it up by one, so a newer server migrates an older file and refuses a file from a newer one.
/// </summary>
internal static class SqliteStateFile
{
    public const string FileName = "feedback-metrics.db";

    /// <summary>Migrations[v - 1] takes a file from schema v - 1 to v.</summary>
    internal static readonly string[] Migrations =
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
    ];

    public static int CurrentVersion => Migrations.Length;

    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    public static SqliteConnection Open(string directory)
    {
        Directory.CreateDirectory(directory);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = PathIn(directory),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,

            // Microsoft.Data.Sqlite retries a busy database until this many seconds pass; a locked file must turn
            // into a 503 (and a broker retry) quickly rather than hold requests for the default 30 s.
            DefaultTimeout = 2,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, "PRAGMA synchronous=FULL;");
            connection.CreateFunction("fm_event_hash", (string source, string id, string type, long high) => EventHash.Half(EventHash.Of(new CloudEventId(source, id, type)), high == 1), isDeterministic: true);
            Migrate(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static long SchemaVersion(SqliteConnection connection) => Scalar(connection, "PRAGMA user_version;");

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    public static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Migrate(SqliteConnection connection)
    {
        long version;
        try
        {
            version = SchemaVersion(connection);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 26)
        {
            throw new StateFileException($"{connection.DataSource} is not a SQLite state file.", e);
        }

        if (version > CurrentVersion)
        {
            throw new StateFileException(
                $"{connection.DataSource} has schema version {version}, written by a newer server; this server reads up to version {CurrentVersion}. " +
                "Run the newer server, or point --state_dir at another directory.");
        }

        for (var next = version + 1; next <= CurrentVersion; next++)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, Migrations[next - 1], transaction);
            Execute(connection, $"PRAGMA user_version = {next};", transaction);
            transaction.Commit();
        }
    }
}
