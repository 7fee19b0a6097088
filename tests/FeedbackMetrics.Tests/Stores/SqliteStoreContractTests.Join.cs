using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Storage;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>What only a store with a file can show of the join: a group whose commit fails takes the join back too.</summary>
public sealed partial class SqliteStoreContractTests
{
    [Test]
    public async Task A_join_whose_commit_fails_is_taken_back_whole_then_succeeds_after_recovery()
    {
        var (store, book) = await OpenAsync(outbox: true);
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.1, 0.1]]"), ResponseEvent("resp2", "r2", "[[0.8, 0.1, 0.1]]")], default);
        await store.ApplyAsync([TruthEvent("t2", "r2", 0)], default);
        var countedBefore = book.SnapshotAll().Single().Matrix;
        var scope = new JoinScope("ns", "d");
        var before = Ledger.Figures(scope)!;

        using (var other = new SqliteConnection($"Data Source={Path.Combine(DirOf(State), SqliteStateFile.FileName)};Pooling=False"))
        {
            other.Open();
            using var lockIt = other.CreateCommand();
            lockIt.CommandText = "BEGIN EXCLUSIVE;";
            lockIt.ExecuteNonQuery();

            // A join, a relabel and a parked truth in one refused group.
            Assert.ThrowsAsync<StorageUnavailableException>(async () =>
                await store.ApplyAsync([TruthEvent("t1", "r1", 1), TruthEvent("t2b", "r2", 2), TruthEvent("t3", "r3", 0)], default));
            Assert.Multiple(() =>
            {
                Assert.That(Ledger.Figures(scope), Is.EqualTo(before));
                Assert.That(book.SnapshotAll().Single().Matrix, Is.EqualTo(countedBefore));
            });
        }

        for (var i = 0; i < 100 && store.Unavailable is not null; i++)
        {
            await Task.Delay(50);
        }

        var retried = await store.ApplyAsync([TruthEvent("t1", "r1", 1), TruthEvent("t2b", "r2", 2), TruthEvent("t3", "r3", 0)], default);
        Assert.That(retried.Select(r => r.Join), Is.EqualTo(new JoinAction?[] { JoinAction.Joined, JoinAction.Corrected, JoinAction.TruthParked }));
        await store.StopAsync(CancellationToken.None);

        var (_, restored) = await OpenAsync();
        var figures = Ledger.Figures(scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(restored.SnapshotAll().Single().Matrix, Is.EqualTo(new long[] { 0, 0, 0, 1, 0, 0, 1, 0, 0 }));
            Assert.That((figures.Totals.Joined, figures.Totals.Corrections, figures.ParkedTruths, figures.PendingResponses), Is.EqualTo((2L, 1L, 1L, 0L)));
        });
    }
}
