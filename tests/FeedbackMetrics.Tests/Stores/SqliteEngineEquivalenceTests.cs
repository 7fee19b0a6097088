using FeedbackMetrics.Server.Storage.Sqlite;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The equivalence test on the engine with the SQLite log: requests sent together are decided as one group by the
/// writer; a snapshot is written every few steps (the log's own clock moves a snapshot interval on every fifth step), so
/// a restart after a crash replays the journal of the groups since, and a graceful one reads the last snapshot alone.
/// </summary>
public sealed class SqliteEngineEquivalenceTests : EngineEquivalence
{
    private FakeTimeProvider _snapshotClock = new();
    private long _journalRowsReplayed;

    protected override bool Durable => true;

    private static string DirOf(string state) => Path.Combine(Path.GetTempPath(), "fm-equivalence", state);

    protected override OpenedStore Open(string state)
    {
        var log = new CrashOnStopLog(new SqliteStateLog(DirOf(state), _snapshotClock));
        var opened = EngineStoreOver(log, crash => log.Crash = crash);
        return opened with
        {
            Stop = async crash =>
            {
                await opened.Stop(crash);
                _journalRowsReplayed += crash ? StateFile.JournalRows(DirOf(state)) : 0;
            },
        };
    }

    protected override void Stepped(int step)
    {
        if (step % 5 == 0)
        {
            _snapshotClock.Advance(SqliteStateLog.SnapshotEvery);
        }
    }

    protected override void AssertCovered(string run)
    {
        TestContext.Progress.WriteLine($"{run}: journal rows replayed after crashes {_journalRowsReplayed}");
        Assert.That(_journalRowsReplayed, Is.Positive, $"{run}: a restart after a crash replayed the journal");
    }

    protected override void Delete(string state)
    {
        (_snapshotClock, _journalRowsReplayed) = (new FakeTimeProvider(), 0);
        if (Directory.Exists(DirOf(state)))
        {
            Directory.Delete(DirOf(state), recursive: true);
        }
    }
}
