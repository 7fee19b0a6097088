using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
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
    private readonly SqliteCommand _addRelabelled;
    private readonly SqliteCommand _addReward;
    private readonly SqliteCommand _insertWindowChunk;
    private readonly SqliteCommand _setProbabilities;
    private readonly SqliteCommand _pruneWindowChunks;
    private readonly SqliteCommand _selectBucket;
    private readonly SqliteCommand _upsertBucket;
    private readonly SqliteCommand _pruneBuckets;
    private readonly SqliteCommand _setNextWindowSeq;
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
        _addRelabelled = Command(SqliteSql.AddRelabelled, "$key", "$truth", "$predicted");
        _addReward = Command(SqliteSql.AddReward, "$key", "$total", "$events");
        _insertWindowChunk = Command(SqliteSql.InsertWindowChunk, "$key", "$first", "$last", "$at", "$count", "$rows");
        _setProbabilities = Command(SqliteSql.SetProbabilities, "$key", "$sums");
        _pruneWindowChunks = Command(SqliteSql.PruneWindowChunks, "$key", "$keepFrom");
        _selectBucket = Command(SqliteSql.SelectBucket, "$key", "$window", "$bucket");
        _upsertBucket = Command(SqliteSql.UpsertBucket, "$key", "$window", "$bucket", "$state");
        _pruneBuckets = Command(SqliteSql.PruneBuckets, "$key", "$window", "$oldest");
        _setNextWindowSeq = Command(SqliteSql.SetNextWindowSeq, "$key", "$next");
        _insertOutbox = Command(SqliteSql.InsertOutbox, "$seq", "$event");
        _deleteOutbox = Command(SqliteSql.DeleteOutbox, "$seq");
        _all = [_rememberId, _forgetIdsThrough, _insertKey, _insertClass, _addToCell, _addRelabelled, _addReward, _insertWindowChunk, _setProbabilities, _pruneWindowChunks, _selectBucket, _upsertBucket, _pruneBuckets, _setNextWindowSeq, _insertOutbox, _deleteOutbox];
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

    public void AddRelabelled(long keyId, string truth, string predicted) => Run(_addRelabelled, keyId, truth, predicted);

    public void AddReward(long keyId, double total, long events) => Run(_addReward, keyId, total, events);

    /// <summary>Writes the rows one group counted for a model (in sequence order) as one chunk.</summary>
    public void InsertWindowChunk(long keyId, IReadOnlyList<CountedRow> rows) =>
        Run(_insertWindowChunk, keyId, rows[0].Stamp.Sequence, rows[^1].Stamp.Sequence, rows[^1].Stamp.CountedAt.ToUnixTimeMilliseconds(), rows.Count, WindowRowsBlob.Write(rows));

    public void SetProbabilities(long keyId, ProbabilitySums sums) => Run(_setProbabilities, keyId, ProbabilitySumsBlob.Write(sums));

    /// <summary>Deletes a model's chunks wholly below <paramref name="keepFrom"/>.</summary>
    public int PruneWindowChunks(long keyId, long keepFrom) => Run(_pruneWindowChunks, keyId, keepFrom);

    /// <summary>A bucket's stored state, or null when none is stored.</summary>
    public BucketState? SelectBucket(long keyId, string window, long index)
    {
        Bind(_selectBucket, keyId, window, index);
        return _selectBucket.ExecuteScalar() is byte[] blob ? BucketStateBlob.Read(index, blob) : null;
    }

    public void UpsertBucket(long keyId, string window, BucketState state) => Run(_upsertBucket, keyId, window, state.Index, BucketStateBlob.Write(state));

    /// <summary>Deletes a model's buckets of one window up to and including <paramref name="oldest"/>.</summary>
    public int PruneBuckets(long keyId, string window, long oldest) => Run(_pruneBuckets, keyId, window, oldest);

    public void SetNextWindowSeq(long keyId, long next) => Run(_setNextWindowSeq, keyId, next);

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
