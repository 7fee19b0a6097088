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

    public static int CurrentVersion => SqliteSql.Migrations.Length;

    internal static string[] Migrations => SqliteSql.Migrations;

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
            Execute(connection, SqliteSql.OpenPragmas);
            connection.CreateFunction("fm_event_hash", (string source, string id, string type, long high) => EventHash.Half(EventHash.Of(new CloudEventId(source, id, type)), high == 1), isDeterministic: true);
            connection.CreateFunction("fm_join_seq", (byte[] entry) => JoinBlob.SequenceOf(entry), isDeterministic: true);
            connection.CreateFunction("fm_join_digest", (string ns, string dep, string id, long high) => JoinRowIndex.DigestColumn(new(ns, dep), id, high == 1), isDeterministic: true);
            Migrate(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static long SchemaVersion(SqliteConnection connection) => Scalar(connection, SqliteSql.SchemaVersion);

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
            Execute(connection, SqliteSql.Migrations[next - 1], transaction);
            if (next == SqliteSql.JoinOnDiskVersion)
            {
                SqliteJoinMigration.CountHeld(connection, transaction);
            }

            Execute(connection, SqliteSql.SetSchemaVersion(next), transaction);
            transaction.Commit();
        }
    }
}
