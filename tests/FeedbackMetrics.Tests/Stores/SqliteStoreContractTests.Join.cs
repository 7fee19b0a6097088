using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Storage;
using FeedbackMetrics.Server.Storage.Sqlite;
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
        var before = Join.Figures(scope)!;

        using (var other = new SqliteConnection($"Data Source={Path.Combine(DirOf(State), SqliteSchema.FileName)};Pooling=False"))
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
                Assert.That(Join.Figures(scope), Is.EqualTo(before));
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
        var figures = Join.Figures(scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(restored.SnapshotAll().Single().Matrix, Is.EqualTo(new long[] { 0, 0, 0, 1, 0, 0, 1, 0, 0 }));
            Assert.That((figures.Totals.Joined, figures.Totals.Corrections, figures.ParkedTruths, figures.PendingResponses), Is.EqualTo((2L, 1L, 1L, 0L)));
        });
    }

    /// <summary>
    /// The filter of ids on disk may skip a lookup only for an id that is certainly absent: a response for a request id
    /// held is answered as held (under another event id, as when the remembered ids have forgotten the first delivery),
    /// after the filter filled and was built again, after a restart (built from the file) and after the entry expired.
    /// </summary>
    [Test]
    public async Task A_second_response_is_never_kept_twice_whatever_the_filter_of_ids_on_disk_has_seen()
    {
        const int Responses = 1500; // past the cap (1 000) and past what the filter is sized for (1 024): it is built again
        var (store, _) = await OpenAsync();
        for (var first = 0; first < Responses; first += 100)
        {
            var stored = await store.ApplyAsync([.. Enumerable.Range(first, 100).Select(i => ResponseEvent($"resp-{i}", $"r{i}", "[[0.8, 0.1, 0.1]]"))], default);
            Assert.That(stored.Select(r => r.Join), Is.All.EqualTo(JoinAction.ResponsePending));
        }

        var held = Enumerable.Range(Responses - JoinLimits.MaxEntries, JoinLimits.MaxEntries).ToList();
        for (var round = 0; round < 3; round++)
        {
            // Each round is a group of its own; the filter's build advances a step before each.
            var again = await store.ApplyAsync([.. held.Where(i => i % 3 == round).Select(i => ResponseEvent($"again-{round}-{i}", $"r{i}", "[[0.1, 0.8, 0.1]]"))], default);
            Assert.That(again.Select(r => r.Join), Is.All.EqualTo(JoinAction.ResponseAlreadyHeld), $"round {round}");
        }

        Assert.That(Join.Figures(new JoinScope("ns", "d"))!.PendingResponses, Is.EqualTo(JoinLimits.MaxEntries));
        await store.StopAsync(CancellationToken.None);

        (store, var book) = await OpenAsync();
        for (var round = 0; round < 2; round++)
        {
            var again = await store.ApplyAsync([ResponseEvent($"restarted-{round}-a", $"r{held[round]}", "[[0.1, 0.8, 0.1]]"), ResponseEvent($"restarted-{round}-b", $"r{held[^(round + 1)]}", "[[0.1, 0.8, 0.1]]")], default);
            Assert.That(again.Select(r => r.Join), Is.All.EqualTo(JoinAction.ResponseAlreadyHeld), $"after the restart, round {round}");
        }

        var joined = await store.ApplyAsync([TruthEvent("truth", $"r{held[7]}", 0)], default);
        Assert.Multiple(() =>
        {
            Assert.That(joined.Single().Join, Is.EqualTo(JoinAction.Joined));
            Assert.That(book.SnapshotAll().Single().Matrix, Is.EqualTo(new long[] { 1, 0, 0, 0, 0, 0, 0, 0, 0 }), "counted with the first response's prediction");
        });

        // Expired: the request id is free again, and a second response after the new one is held once more.
        JoinClock.Advance(JoinLimits.Ttl + TimeSpan.FromMinutes(1));
        var afresh = await store.ApplyAsync([ResponseEvent("afresh", $"r{held[9]}", "[[0.1, 0.8, 0.1]]")], default);
        var afreshAgain = await store.ApplyAsync([ResponseEvent("afresh-again", $"r{held[9]}", "[[0.1, 0.1, 0.8]]")], default);
        Assert.Multiple(() =>
        {
            Assert.That(afresh.Single().Join, Is.EqualTo(JoinAction.ResponsePending));
            Assert.That(afreshAgain.Single().Join, Is.EqualTo(JoinAction.ResponseAlreadyHeld));
            Assert.That(Join.Figures(new JoinScope("ns", "d"))!.PendingResponses, Is.EqualTo(1));
        });
    }
}
