using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Storage;
using FeedbackMetrics.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>The store contract on the SQLite store, plus what only a store with a file can show: a storage fault and its recovery.</summary>
public sealed partial class SqliteStoreContractTests : StoreContract
{
    protected override bool Durable => true;

    private static string DirOf(string state) => Path.Combine(Path.GetTempPath(), "fm-store-contract", state);

    protected override (IFeedbackStore Store, IJoinFigures Join) Create(MetricsBook book, string state, bool outbox) =>
        EngineStoreOver(book, new SqliteStateLog(DirOf(state), JoinClock), outbox);

    [Test]
    public async Task A_database_locked_by_another_process_refuses_with_storage_unavailable_then_recovers_from_the_file()
    {
        var (store, book) = await OpenAsync(outbox: true);
        await store.ApplyAsync([Event("before")], default);
        var outboxBefore = store.Outbox.Depth;

        using (var other = new SqliteConnection($"Data Source={Path.Combine(DirOf(State), SqliteSchema.FileName)};Pooling=False"))
        {
            other.Open();
            using var lockIt = other.CreateCommand();
            lockIt.CommandText = "BEGIN EXCLUSIVE;";
            lockIt.ExecuteNonQuery();

            // A new model and a new class, refused with the whole group: both are taken back.
            Assert.ThrowsAsync<StorageUnavailableException>(async () => await store.ApplyAsync([Event("during"), Event("new-model", "d2", truth: 3, predicted: 3)], default));
            Assert.That(store.Unavailable, Is.Not.Null);
            Assert.That(Count(book), Is.EqualTo(1), "the refused events were taken back from the read model");
            Assert.That(book.KeyCount, Is.EqualTo(1), "the model the refused group brought in is gone again");
            Assert.That(store.Outbox.Depth, Is.EqualTo(outboxBefore), "their metric events' places in the outbox were given back");
            var duringOutage = book.SnapshotAll().Single();
            for (var i = 0; i < 30; i++)
            {
                Assert.That(Count(book), Is.EqualTo(1), "the read model stays whole while the store probes the file");
                await Task.Delay(50);
            }

            Assert.That(book.SnapshotAll().Single().Matrix, Is.EqualTo(duringOutage.Matrix));
        }

        for (var i = 0; i < 100 && store.Unavailable is not null; i++)
        {
            await Task.Delay(50);
        }

        Assert.That(store.Unavailable, Is.Null, "the store probes the file and recovers by itself");
        var retried = await store.ApplyAsync([Event("during"), Event("new-model", "d2", truth: 3, predicted: 3), Event("before")], default);
        Assert.That(retried.Select(r => r.Outcome), Is.EqualTo(new[] { ApplyOutcome.Applied, ApplyOutcome.Applied, ApplyOutcome.Duplicate }));
        Assert.That(Count(book), Is.EqualTo(3));
    }
}
