using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Server.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using static FeedbackMetrics.Tests.Core.JoinInputs;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>A schema-5 file, whose join entries were read back whole at start-up, moves to the current schema, where they stay on disk.</summary>
public sealed class SqliteJoinMigrationTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
    private static readonly MetricKey Key = new("ns", "d", "p", "m");
    private static readonly JoinScope Scope = JoinScope.Of(Key);

    /// <summary>What a schema-5 server wrote: a state blob of version 1 ends before what the deployment holds.</summary>
    private static byte[] Version1State(JoinScopeState state)
    {
        var blob = JoinBlob.Write(state);
        var heldBytes = (3 * sizeof(long)) + sizeof(int) + (state.Held!.PendingRows.Count * (sizeof(long) + sizeof(double)));
        var old = blob[..^heldBytes];
        old[0] = 1;
        return old;
    }

    [Test]
    public void A_version_5_join_is_migrated_with_its_sequence_column_and_the_counts_of_what_it_holds()
    {
        // The reference: a ledger in memory, with two pending responses, a parked truth and a joined request.
        var clock = new FakeTimeProvider(Start);
        var reference = new JoinLedger(new JoinLimits(TimeSpan.FromHours(1), 100), clock, trackChanges: true);
        reference.OfferResponse(Key, "pending-1", Response("[[0.7, 0.2, 0.1]]"));
        clock.Advance(TimeSpan.FromMinutes(10));
        reference.OfferTruth(Scope, "parked", Truth(1), null);
        reference.OfferResponse(Key, "joined", Response("[[0.1, 0.8, 0.1]]"));
        reference.OfferTruth(Scope, "joined", Truth(1), 2.0);
        clock.Advance(TimeSpan.FromMinutes(10));
        reference.OfferResponse(Key, "pending-2", Response("[[0.3, 0.3, 0.4]]"));
        var changes = reference.TakeChanges();

        var dir = Path.Combine(Path.GetTempPath(), "fm-join-migration", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        using (var old = new SqliteConnection($"Data Source={SqliteStateFile.PathIn(dir)};Pooling=False"))
        {
            old.Open();
            old.CreateFunction("fm_event_hash", (string source, string id, string type, long high) => 0L); // migration 3 names it; no row to hash
            using var command = old.CreateCommand();
            command.CommandText = string.Concat(SqliteStateFile.Migrations.Take(5)) + "PRAGMA user_version = 5;";
            command.ExecuteNonQuery();
            foreach (var record in changes.Written)
            {
                Insert(old, "INSERT INTO join_entries(namespace, deployment, request_id, entry) VALUES ($a, $b, $c, $d)", record.Scope.Namespace, record.Scope.Deployment, record.RequestId, JoinBlob.Write(record));
            }

            var state = changes.Scopes.Single();
            Insert(old, "INSERT INTO join_scopes(namespace, deployment, state) VALUES ($a, $b, $c)", Scope.Namespace, Scope.Deployment, Version1State(state));
        }

        using var migrated = SqliteStateFile.Open(dir);
        using var entries = new SqliteJoinEntries(dir);
        entries.Load();
        var ledger = new JoinLedger(reference.Limits, new FakeTimeProvider(clock.GetUtcNow()), trackChanges: true);
        ledger.Restore(entries, SqliteJoinStatements.LoadScopes(migrated));
        Assert.Multiple(() =>
        {
            Assert.That(SqliteStateFile.SchemaVersion(migrated), Is.EqualTo(SqliteStateFile.CurrentVersion));
            Assert.That(entries.After(0, 10).Select(r => r.RequestId), Is.EqualTo(changes.Written.OrderBy(r => r.Sequence).Select(r => r.RequestId)), "the seq column holds each entry's sequence number");
            Assert.That(ledger.FiguresAll(), Is.EqualTo(reference.FiguresAll()), "what each deployment holds was counted from its entries");
            Assert.That(ledger.Count, Is.EqualTo(4));
        });

        // Oldest first still: past the TTL of the first response only, it alone expires.
        var later = new FakeTimeProvider(Start + TimeSpan.FromMinutes(65));
        var expiring = new JoinLedger(reference.Limits, later, trackChanges: true);
        expiring.Restore(entries, SqliteJoinStatements.LoadScopes(migrated));
        var figures = expiring.Figures(Scope)!;
        Assert.That((figures.PendingResponses, figures.Totals.ExpiredResponses, figures.ParkedTruths, figures.JoinedHeld), Is.EqualTo((1L, 1L, 1L, 1L)));
        var deletion = expiring.TakeChanges();
        Assert.That((deletion.Deleted.Count, deletion.DeleteThrough), Is.EqualTo((0, changes.Written.Single(r => r.RequestId == "pending-1").Sequence)), "forgotten oldest first: one range to delete, no tombstone");
    }

    private static void Insert(SqliteConnection connection, string sql, params object[] values)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue("$" + (char)('a' + i), values[i]);
        }

        command.ExecuteNonQuery();
    }
}
