using System.Collections;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// The default state log: SQLite used as a log (<see cref="SqliteSchema"/>). A commit appends one journal row, the
/// group's change set as a blob, in one transaction: no SQL row per event. A snapshot of what changed since the last
/// (models, join deployments, a chunk of join entries, a chunk of remembered ids, metric events still to post) is
/// written by <see cref="Maintain"/> between groups every <see cref="SnapshotEvery"/> or
/// <see cref="SnapshotRows"/> journal rows, in its own transaction that also trims the journal behind it. Start-up
/// reads the snapshot, then replays the journal after it.
/// </summary>
public sealed partial class SqliteStateLog(string directory, TimeProvider time) : IStateLog
{
    /// <summary>A snapshot is written at least this often while the journal has rows.</summary>
    public static readonly TimeSpan SnapshotEvery = TimeSpan.FromSeconds(2);

    /// <summary>A snapshot is written once the journal has this many rows.</summary>
    public const int SnapshotRows = 2048;

    private readonly JoinChunks _chunks = new();
    private readonly List<(long LastSeq, long Chunk)> _idChunks = [];
    private readonly List<(long Seq, MetricReply Reply)> _posted = [];
    private readonly MemoryStream _buffer = new();
    private SqliteConnection? _connection;
    private SqliteCommand? _append;
    private long _journalSeq;
    private long _snapshotThrough;
    private long _nextIdChunk = 1;
    private long _lastSnapshot;

    public string Name => $"sqlite {Path.GetFullPath(SqliteSchema.PathIn(directory))}";

    public bool Durable => true;

    public bool IsFault(Exception e) => e is SqliteException or IOException or UnauthorizedAccessException;

    public IReadOnlyList<(long Seq, MetricReply Reply)> Load(FeedbackEngine engine)
    {
        Open();
        var state = engine.State;
        state.Clear();
        _chunks.Clear();
        _idChunks.Clear();
        _posted.Clear();
        _snapshotThrough = Meta("snapshot_through");
        state.RestoreOutboxSequence(Meta("outbox_seq"));
        LoadModels(state);
        LoadJoin(state);
        LoadIds(state);
        var outbox = LoadOutbox();
        _journalSeq = _snapshotThrough;
        foreach (var (seq, changes) in Journal())
        {
            engine.Apply(changes);
            _journalSeq = seq;
            foreach (var change in changes.Changes)
            {
                if (change is ReplyPosted posted)
                {
                    outbox[posted.Seq] = posted.Reply;
                    _posted.Add((posted.Seq, posted.Reply));
                }
            }
        }
        _lastSnapshot = time.GetTimestamp();
        return [.. outbox.Select(pair => (pair.Key, pair.Value))];
    }

    public void Commit(ChangeSet changes)
    {
        if (changes.IsEmpty)
        {
            return;
        }

        var blob = Encode(w => RecordCodec.WriteChangeSet(w, changes));
        using var transaction = _connection!.BeginTransaction(deferred: false);
        _append!.Transaction = transaction;
        _append.Parameters["$seq"].Value = _journalSeq + 1;
        _append.Parameters["$changes"].Value = blob;
        _append.ExecuteNonQuery();
        transaction.Commit();
        _journalSeq++;
        foreach (var change in changes.Changes)
        {
            if (change is ReplyPosted posted)
            {
                _posted.Add((posted.Seq, posted.Reply));
            }
        }
    }

    public void Maintain(EngineState state, Func<long, bool> pendingReply, IReadOnlyList<long> delivered, bool force = false)
    {
        var due = _journalSeq - _snapshotThrough >= SnapshotRows || time.GetElapsedTime(_lastSnapshot) >= SnapshotEvery;
        if (!force && (!due || (_journalSeq == _snapshotThrough && delivered.Count == 0)))
        {
            return;
        }

        _lastSnapshot = time.GetTimestamp();
        WriteSnapshot(state, pendingReply, delivered);
    }

    public void Probe()
    {
        Open();
        using var transaction = _connection!.BeginTransaction(deferred: false);
        SqliteSchema.Execute(_connection, $"DELETE FROM probe; INSERT INTO probe(at) VALUES ({time.GetUtcNow().ToUnixTimeMilliseconds()});", transaction);
        transaction.Commit();
    }

    public void Close(bool graceful)
    {
        if (graceful && _connection is not null)
        {
            try
            {
                SqliteSchema.Execute(_connection, "PRAGMA wal_checkpoint(TRUNCATE);");
            }
            catch (SqliteException)
            {
                // The WAL stays and is replayed on the next open; nothing is lost.
            }
        }

        _append?.Dispose();
        _connection?.Dispose();
        _append = null;
        _connection = null;
    }

    private void Open()
    {
        if (_connection is not null)
        {
            return;
        }

        CheckDirectoryWritable();
        _connection = SqliteSchema.Open(directory);
        _append = _connection.CreateCommand();
        _append.CommandText = "INSERT INTO journal(seq, changes) VALUES ($seq, $changes);";
        _append.Parameters.Add("$seq", SqliteType.Integer);
        _append.Parameters.Add("$changes", SqliteType.Blob);
    }

    /// <summary>SQLite says only "unable to open database file"; this names the real cause (read-only, full, missing rights).</summary>
    private void CheckDirectoryWritable()
    {
        var probe = Path.Combine(directory, ".write-probe");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"state directory {Path.GetFullPath(directory)} is not writable: {e.Message}", e);
        }
    }

    private byte[] Encode(Action<BinaryWriter> write)
    {
        _buffer.SetLength(0);
        using (var w = new BinaryWriter(_buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            write(w);
        }

        return _buffer.ToArray();
    }

    private static string KeyText(MetricKey key) => $"{key.Namespace}\u001f{key.Deployment}\u001f{key.Predictor}\u001f{key.Model}";

    private static string ScopeText(JoinScope scope) => $"{scope.Namespace}\u001f{scope.Deployment}";

    private long Meta(string name)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE name = $name;";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() is long value ? value : 0;
    }

    private static BitArray BitsOf(byte[] bytes, int length) => new(bytes) { Length = length };
}
