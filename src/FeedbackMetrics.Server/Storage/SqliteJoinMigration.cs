using FeedbackMetrics.Core.Join;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// The part of the migration to schema 8 that SQL cannot do: count, from the stored entries, what each deployment's
/// join holds (entries of each kind, the pending rows of the estimate) and keep it in the deployment's state, so that
/// from then on a start-up reads the states only. Entries are read one at a time, never all held.
/// </summary>
internal static class SqliteJoinMigration
{
    public static void CountHeld(SqliteConnection connection, SqliteTransaction transaction)
    {
        var held = new Dictionary<JoinScope, (long Pending, long Parked, long Joined, AccuracyEstimator Estimator)>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = SqliteSql.SelectJoinEntries;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var scope = new JoinScope(reader.GetString(0), reader.GetString(1));
                var record = JoinBlob.ReadRecord(scope, reader.GetString(2), (byte[])reader.GetValue(3));
                var (pending, parked, joined, estimator) = held.TryGetValue(scope, out var h) ? h : (0, 0, 0, new AccuracyEstimator());
                if (record.Response is { } response && record.Truth is null)
                {
                    pending++;
                    estimator.Pending(response, +1);
                }
                else if (record.Response is null)
                {
                    parked++;
                }
                else
                {
                    joined++;
                }

                held[scope] = (pending, parked, joined, estimator);
            }
        }

        var states = new List<JoinScopeState>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = SqliteSql.SelectJoinScopes;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                states.Add(JoinBlob.ReadState(new JoinScope(reader.GetString(0), reader.GetString(1)), (byte[])reader.GetValue(2)));
            }
        }

        using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = SqliteSql.UpdateJoinScope;
        var (ns, dep, blob) = (update.Parameters.Add("$ns", SqliteType.Text), update.Parameters.Add("$dep", SqliteType.Text), update.Parameters.Add("$state", SqliteType.Blob));
        foreach (var state in states)
        {
            var (pending, parked, joined, estimator) = held.TryGetValue(state.Scope, out var h) ? h : (0, 0, 0, new AccuracyEstimator());
            var (rows, confidence) = estimator.PendingSums();
            (ns.Value, dep.Value) = (state.Scope.Namespace, state.Scope.Deployment);
            blob.Value = JoinBlob.Write(state with { Held = new JoinHeld(pending, parked, joined, rows, confidence) });
            update.ExecuteNonQuery();
        }
    }
}
