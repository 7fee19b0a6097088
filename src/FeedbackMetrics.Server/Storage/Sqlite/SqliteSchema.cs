using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// The state file: SQLite in WAL mode with <c>synchronous=FULL</c> (a commit survives power loss), used as a log —
/// a journal of change sets, one row per group, and a snapshot of the state as of a journal position (models, join
/// deployments, join entries and remembered ids in chunks, metric events still to post, the class names models' responses gave). Marked with an application
/// id and version 1 of this design; any other SQLite file is refused with one line.
/// </summary>
internal static class SqliteSchema
{
    public const string FileName = "feedback-metrics.db";

    /// <summary>"FMS1": what marks a file as this server's state file.</summary>
    public const int ApplicationId = 0x464D5331;

    public const int Version = 3;

    private const string Create = """
        CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE journal(seq INTEGER PRIMARY KEY, changes BLOB NOT NULL);
        CREATE TABLE models(key TEXT PRIMARY KEY, image BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE join_scopes(scope TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE join_chunks(seq INTEGER PRIMARY KEY, entries BLOB NOT NULL, dead BLOB NOT NULL);
        CREATE TABLE id_chunks(seq INTEGER PRIMARY KEY, ids BLOB NOT NULL);
        CREATE TABLE outbox(seq INTEGER PRIMARY KEY, reply BLOB NOT NULL);
        CREATE TABLE class_names(key TEXT PRIMARY KEY, names BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE probe(at INTEGER NOT NULL);
        """;

    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>Opens (creating if new) the state file; throws <see cref="StateFileException"/> for a file this server cannot read.</summary>
    public static SqliteConnection Open(string directory)
    {
        Directory.CreateDirectory(directory);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = PathIn(directory),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,

            // A locked file must turn into a 503 (and a broker retry) quickly rather than hold requests for 30 s.
            DefaultTimeout = 2,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
            Check(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

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

    private static void Check(SqliteConnection connection)
    {
        long application, version, tables;
        try
        {
            application = Scalar(connection, "PRAGMA application_id;");
            version = Scalar(connection, "PRAGMA user_version;");
            tables = Scalar(connection, "SELECT count(*) FROM sqlite_master;");
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 26)
        {
            throw new StateFileException($"{connection.DataSource} is not a SQLite file; point --state_dir at a directory of this server's state, or at an empty one.", e);
        }

        if (application == 0 && tables == 0)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, Create + $"PRAGMA application_id={ApplicationId}; PRAGMA user_version={Version};", transaction);
            transaction.Commit();
            return;
        }

        if (application != ApplicationId)
        {
            throw new StateFileException(
                $"{connection.DataSource} was written by a pre-release of this server (schema {version}), whose state files this version does not read; start with a fresh --state_dir.");
        }

        if (version != Version)
        {
            throw new StateFileException(
                $"{connection.DataSource} has state file version {version}; this server reads version {Version}. Run the server that wrote it, or start with a fresh --state_dir.");
        }
    }
}
