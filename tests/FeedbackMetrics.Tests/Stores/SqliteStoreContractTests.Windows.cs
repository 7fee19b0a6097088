using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Windows;
using FeedbackMetrics.Server.Storage;
using FeedbackMetrics.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>Time windows kept as bucket states: a bucket on disk holds the rows of committed groups only.</summary>
public sealed partial class SqliteStoreContractTests
{
    [Test]
    public async Task A_group_whose_commit_fails_leaves_no_row_in_the_stored_buckets_and_the_restart_shows_the_committed_rows()
    {
        var windows = new[] { WindowSpec.Parse("1h"), WindowSpec.Parse("5m") };
        var (store, book) = await OpenAsync(windows: windows);
        await store.ApplyAsync([Event("first", truth: 1, predicted: 1)], default);
        using (var other = new SqliteConnection($"Data Source={Path.Combine(DirOf(State), SqliteSchema.FileName)};Pooling=False"))
        {
            other.Open();
            using var lockIt = other.CreateCommand();
            lockIt.CommandText = "BEGIN EXCLUSIVE;";
            lockIt.ExecuteNonQuery();
            Assert.ThrowsAsync<StorageUnavailableException>(async () => await store.ApplyAsync([Event("refused", truth: 2, predicted: 0)], default));
        }

        for (var i = 0; i < 100 && store.Unavailable is not null; i++)
        {
            await Task.Delay(50);
        }

        await store.ApplyAsync([Event("second", truth: 0, predicted: 0)], default);
        Assert.That(book.ViewAll().Single().Windows.Select(w => w.Count), Is.All.EqualTo(2), "the refused row was taken back in memory");
        await store.StopAsync(CancellationToken.None);

        // The refused event's class stays known in memory (with no counts) but was never written: two classes on disk.
        var (_, restored) = await OpenAsync(windows: windows);
        var view = restored.ViewAll().Single();
        Assert.Multiple(() =>
        {
            Assert.That(view.Windows.Select(w => w.Count), Is.All.EqualTo(2), "the two committed rows, not the refused one");
            Assert.That(view.Windows.Select(w => string.Join(",", w.Matrix)), Is.All.EqualTo("1,0,0,1"), "(0, 0) and (1, 1); no bucket holds the refused (2, 0)");
        });
    }
}
