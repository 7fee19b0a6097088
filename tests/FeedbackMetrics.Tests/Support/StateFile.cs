using System.Text;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// Reads a state directory's SQLite file read-only, through its layout (<see cref="SqliteSchema"/>): the model images of
/// the last snapshot (table <c>models</c>) and the journal rows after it. Meant for a stopped server or store: a graceful
/// stop writes a last snapshot and trims the journal.
/// </summary>
internal static class StateFile
{
    /// <summary>The images of the models, as the last snapshot wrote them, ordered by key.</summary>
    public static List<ModelImage> Models(string stateDir)
    {
        using var connection = Open(stateDir);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT image FROM models ORDER BY key";
        using var reader = command.ExecuteReader();
        var models = new List<ModelImage>();
        while (reader.Read())
        {
            using var r = new BinaryReader(new MemoryStream((byte[])reader[0]), Encoding.UTF8);
            models.Add(RecordCodec.ReadModel(r));
        }

        return models;
    }

    /// <summary>Change sets in the journal (groups committed since the last snapshot).</summary>
    public static long JournalRows(string stateDir)
    {
        using var connection = Open(stateDir);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM journal";
        return (long)command.ExecuteScalar()!;
    }

    private static SqliteConnection Open(string stateDir)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(stateDir, SqliteSchema.FileName)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }
}
