using FeedbackMetrics.Core.Engine;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>A snapshot: what changed since the last, written in one transaction that also trims the journal behind it.</summary>
public sealed partial class SqliteStateLog
{
    private void WriteSnapshot(EngineState state, Func<long, bool> pendingReply, IReadOnlyList<long> delivered)
    {
        var changed = state.TakeChanged();
        var chunks = _chunks.Plan(changed.Released, changed.Written, state.Join);
        using var transaction = _connection!.BeginTransaction(deferred: false);
        using (var upsert = Command(transaction, "INSERT INTO models(key, image) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET image = excluded.image;"))
        {
            foreach (var model in changed.Models)
            {
                Run(upsert, KeyText(model.Key), Encode(w => RecordCodec.WriteModel(w, model)));
            }
        }

        using (var delete = Command(transaction, "DELETE FROM models WHERE key = $k;"))
        {
            foreach (var key in changed.Reset)
            {
                Run(delete, KeyText(key));
            }
        }

        using (var upsert = Command(transaction, "INSERT INTO join_scopes(scope, state) VALUES ($k, $v) ON CONFLICT(scope) DO UPDATE SET state = excluded.state;"))
        {
            foreach (var scope in changed.Scopes)
            {
                Run(upsert, ScopeText(scope.Scope), Encode(w => RecordCodec.WriteScope(w, scope)));
            }
        }

        using (var upsert = Command(transaction, "INSERT INTO class_names(key, names) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET names = excluded.names;"))
        {
            foreach (var (key, names) in changed.ClassNames)
            {
                Run(upsert, KeyText(key), Encode(w =>
                {
                    w.Write(key);
                    w.Write(names);
                }));
            }
        }

        WriteChunks(transaction, chunks);
        WriteIds(transaction, state, changed.Ids);
        WriteOutbox(transaction, pendingReply, delivered);
        SqliteSchema.Execute(
            _connection,
            $"""
            INSERT INTO meta(name, value) VALUES ('snapshot_through', {_journalSeq}) ON CONFLICT(name) DO UPDATE SET value = excluded.value;
            INSERT INTO meta(name, value) VALUES ('outbox_seq', {state.OutboxSequence}) ON CONFLICT(name) DO UPDATE SET value = excluded.value;
            DELETE FROM journal WHERE seq <= {_journalSeq};
            """,
            transaction);
        transaction.Commit();
        _snapshotThrough = _journalSeq;
    }

    private void WriteChunks(SqliteTransaction transaction, ChunkWrites chunks)
    {
        if (chunks.NewChunk is { } seq)
        {
            var blob = Encode(w => JoinChunkBlob.Write(w, chunks.Rows));
            using var insert = Command(transaction, "INSERT INTO join_chunks(seq, entries, dead) VALUES ($k, $v, $d);");
            insert.Parameters.AddWithValue("$d", JoinChunks.Bitmap(new System.Collections.BitArray(chunks.Rows.Count)));
            Run(insert, seq, blob);
        }

        using (var update = Command(transaction, "UPDATE join_chunks SET dead = $v WHERE seq = $k;"))
        {
            foreach (var (chunk, dead) in chunks.Updated)
            {
                Run(update, chunk, dead);
            }
        }

        using var delete = Command(transaction, "DELETE FROM join_chunks WHERE seq = $k;");
        foreach (var chunk in chunks.Deleted)
        {
            Run(delete, chunk);
        }
    }

    /// <summary>A chunk of the ids remembered since; chunks whose every id the window has forgotten are deleted.</summary>
    private void WriteIds(SqliteTransaction transaction, EngineState state, IReadOnlyList<IdRemembered> ids)
    {
        if (ids.Count > 0)
        {
            var blob = Encode(w =>
            {
                w.Write(ids.Count);
                foreach (var id in ids)
                {
                    w.Write((ulong)(id.Digest >> 64));
                    w.Write((ulong)id.Digest);
                    w.Write(id.ExpiresAt);
                }
            });
            using var insert = Command(transaction, "INSERT INTO id_chunks(seq, ids) VALUES ($k, $v);");
            Run(insert, _nextIdChunk, blob);
            _idChunks.Add((state.IdSequence, _nextIdChunk++));
        }

        var forgotten = state.Ids.ForgottenThrough;
        var drop = _idChunks.TakeWhile(c => c.LastSeq <= forgotten).ToList();
        if (drop.Count > 0)
        {
            SqliteSchema.Execute(_connection!, $"DELETE FROM id_chunks WHERE seq <= {drop[^1].Chunk};", transaction);
            _idChunks.RemoveRange(0, drop.Count);
        }
    }

    /// <summary>Metric events posted since and still waiting are kept; those delivered are forgotten.</summary>
    private void WriteOutbox(SqliteTransaction transaction, Func<long, bool> pendingReply, IReadOnlyList<long> delivered)
    {
        using (var insert = Command(transaction, "INSERT OR REPLACE INTO outbox(seq, reply) VALUES ($k, $v);"))
        {
            foreach (var (seq, reply) in _posted)
            {
                if (pendingReply(seq))
                {
                    Run(insert, seq, Encode(w => RecordCodec.WriteReply(w, reply)));
                }
            }
        }

        _posted.Clear();
        using var delete = Command(transaction, "DELETE FROM outbox WHERE seq = $k;");
        foreach (var seq in delivered)
        {
            Run(delete, seq);
        }
    }

    private SqliteCommand Command(SqliteTransaction transaction, string sql)
    {
        var command = _connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Run(SqliteCommand command, object key, byte[]? value = null)
    {
        command.Parameters.AddWithValue("$k", key);
        if (value is not null)
        {
            command.Parameters.AddWithValue("$v", value);
        }

        command.ExecuteNonQuery();
        command.Parameters.RemoveAt("$k");
        if (value is not null)
        {
            command.Parameters.RemoveAt("$v");
        }
    }
}
