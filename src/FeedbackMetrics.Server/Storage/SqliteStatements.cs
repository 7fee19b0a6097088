using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Statistics;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>The prepared statements of the writer, bound to one connection; each runs inside the current transaction.</summary>
internal sealed class SqliteStatements : IDisposable
{
    private readonly SqliteCommand _rememberId;
    private readonly SqliteCommand _forgetIdsThrough;
    private readonly SqliteCommand _insertKey;
    private readonly SqliteCommand _insertClass;
    private readonly SqliteCommand _addToCell;
    private readonly SqliteCommand _addReward;
    private readonly SqliteCommand _insertWindowRow;
    private readonly SqliteCommand _setProbabilities;
    private readonly SqliteCommand _pruneWindowRows;
    private readonly SqliteCommand _insertOutbox;
    private readonly SqliteCommand _deleteOutbox;
    private readonly SqliteCommand[] _all;

    public SqliteStatements(SqliteConnection connection)
    {
        Connection = connection;
        _rememberId = Command(SqliteSql.RememberId, "$seq", "$high", "$low", "$expires");
        _forgetIdsThrough = Command(SqliteSql.ForgetIdsThrough, "$seq");
        _insertKey = Command(SqliteSql.InsertKey, "$ns", "$dep", "$pred", "$model");
        _insertClass = Command(SqliteSql.InsertClass, "$key", "$ordinal", "$name");
        _addToCell = Command(SqliteSql.AddToCell, "$key", "$truth", "$predicted", "$count");
        _addReward = Command(SqliteSql.AddReward, "$key", "$total", "$events");
        _insertWindowRow = Command(SqliteSql.InsertWindowRow, "$key", "$seq", "$at", "$truth", "$predicted", "$logLoss", "$brier", "$confidence", "$flags");
        _setProbabilities = Command(SqliteSql.SetProbabilities, "$key", "$sums");
        _pruneWindowRows = Command(SqliteSql.PruneWindowRows, "$key", "$keepFrom", "$cutoff");
        _insertOutbox = Command(SqliteSql.InsertOutbox, "$seq", "$event");
        _deleteOutbox = Command(SqliteSql.DeleteOutbox, "$seq");
        _all = [_rememberId, _forgetIdsThrough, _insertKey, _insertClass, _addToCell, _addReward, _insertWindowRow, _setProbabilities, _pruneWindowRows, _insertOutbox, _deleteOutbox];
    }

    public SqliteConnection Connection { get; }

    public SqliteTransaction? Transaction
    {
        set
        {
            foreach (var command in _all)
            {
                command.Transaction = value;
            }
        }
    }

    /// <summary>Appends a counted event's digest (an append at the end of the table, never a random insert).</summary>
    public void RememberId(long seq, UInt128 hash, long expiresAt) => Run(_rememberId, seq, EventHash.Half(hash, high: true), EventHash.Half(hash, high: false), expiresAt);

    /// <summary>Deletes the forgotten ids: one range at the head of the table.</summary>
    public void ForgetIdsThrough(long seq) => Run(_forgetIdsThrough, seq);

    public long InsertKey(MetricKey key)
    {
        Bind(_insertKey, key.Namespace, key.Deployment, key.Predictor, key.Model);
        return (long)_insertKey.ExecuteScalar()!;
    }

    public void InsertClass(long keyId, int ordinal, string name) => Run(_insertClass, keyId, ordinal, name);

    public void AddToCell(long keyId, string truth, string predicted, long count) => Run(_addToCell, keyId, truth, predicted, count);

    public void AddReward(long keyId, double total, long events) => Run(_addReward, keyId, total, events);

    /// <summary>Writes a counted row as windows keep it (see <see cref="SqliteSql.InsertWindowRow"/> for the flags).</summary>
    public void InsertWindowRow(long keyId, CountedRow counted)
    {
        var (stamp, row) = counted;
        var p = _insertWindowRow.Parameters;
        p[0].Value = keyId;
        p[1].Value = stamp.Sequence;
        p[2].Value = stamp.CountedAt.ToUnixTimeMilliseconds();
        p[3].Value = row.Truth;
        p[4].Value = row.Predicted;
        if (row.Probability is { } scored)
        {
            p[5].Value = scored.LogLoss;
            p[6].Value = scored.Brier;
            p[7].Value = scored.Confidence;
            p[8].Value = (scored.Correct ? 1 : 0) | (scored.TopKHit ? 2 : 0) | (scored.TopK << 2);
        }
        else
        {
            p[5].Value = p[6].Value = p[7].Value = p[8].Value = DBNull.Value;
        }

        _insertWindowRow.ExecuteNonQuery();
    }

    public void SetProbabilities(long keyId, ProbabilitySums sums) => Run(_setProbabilities, keyId, ProbabilitySumsBlob.Write(sums));

    /// <summary>Deletes a key's rows below <paramref name="keepFrom"/> counted before <paramref name="cutoff"/> (Unix ms).</summary>
    public int PruneWindowRows(long keyId, long keepFrom, long cutoff) => Run(_pruneWindowRows, keyId, keepFrom, cutoff);

    public void InsertOutbox(long seq, byte[] metricEvent) => Run(_insertOutbox, seq, metricEvent);

    public void DeleteOutbox(long seq) => Run(_deleteOutbox, seq);

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
    }

    private static int Run(SqliteCommand command, params object[] values)
    {
        Bind(command, values);
        return command.ExecuteNonQuery();
    }

    private static void Bind(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }
}
