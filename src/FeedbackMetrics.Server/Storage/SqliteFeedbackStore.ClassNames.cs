using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.State;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// The names a model's responses gave its classes (<see cref="Core.Metrics.ModelClassNames"/>) survive a restart: they
/// are written in the transaction of the group that counts the model's rows, beside its counts, when they differ from
/// the file's. A model with no counts yet (a logged response whose truth has not come) has no row to keep them in: its
/// names are written with its first counted rows, from the read model, which learnt them from its responses.
/// </summary>
public sealed partial class SqliteFeedbackStore
{
    /// <summary>The names the file holds per model, so a group writes only names that changed.</summary>
    private readonly Dictionary<MetricKey, IReadOnlyList<string>> _namesOnDisk = [];

    /// <summary>Writes the names of the models this group counted rows of where they changed; returns them, to note once committed.</summary>
    private List<(MetricKey Key, IReadOnlyList<string> Names)> WriteClassNames(
        SqliteTransaction transaction, List<(UInt128 Hash, FeedbackEvent Event)> counted, JoinGroup joinGroup, Dictionary<MetricKey, long> newKeyIds)
    {
        var latest = new Dictionary<MetricKey, IReadOnlyList<string>>();
        foreach (var (_, item) in counted)
        {
            if ((item.Feedback.ClassNames ?? (item.Join as ResponsePart)?.Response.ClassNames) is { } names)
            {
                latest[item.Key] = names;
            }
        }

        foreach (var (item, _) in joinGroup.Applied)
        {
            if (!latest.ContainsKey(item.Key) && (item.Feedback.ClassNames ?? _book.ClassNames.Of(item.Key)) is { } names)
            {
                latest[item.Key] = names;
            }
        }

        var written = new List<(MetricKey, IReadOnlyList<string>)>();
        SqliteCommand? command = null;
        try
        {
            foreach (var (key, names) in latest)
            {
                var isNew = newKeyIds.TryGetValue(key, out var id);
                if ((!isNew && !_keyIds.TryGetValue(key, out id))
                    || (!isNew && _namesOnDisk.TryGetValue(key, out var onDisk) && onDisk.SequenceEqual(names, StringComparer.Ordinal)))
                {
                    continue; // no row yet (names come with its first rows), or the file has them already
                }

                if (command is null)
                {
                    command = _statements!.Connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = SqliteSql.SetClassNames;
                }

                command.Parameters.Clear();
                command.Parameters.AddWithValue("$names", string.Join('\n', names));
                command.Parameters.AddWithValue("$key", id);
                command.ExecuteNonQuery();
                written.Add((key, names));
            }
        }
        finally
        {
            command?.Dispose();
        }

        return written;
    }

    private void ClassNamesCommitted(List<(MetricKey Key, IReadOnlyList<string> Names)> written)
    {
        foreach (var (key, names) in written)
        {
            _namesOnDisk[key] = names;
        }
    }

    /// <summary>Gives the read model back the names the file holds (start-up, and recovery after a writer defect).</summary>
    private void LoadClassNames()
    {
        _namesOnDisk.Clear();
        using var command = _connection!.CreateCommand();
        command.CommandText = SqliteSql.SelectClassNames;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var key = new MetricKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
            var names = reader.GetString(4).Split('\n');
            _namesOnDisk[key] = names;
            _book.ClassNames.Set(key, names);
        }
    }
}
