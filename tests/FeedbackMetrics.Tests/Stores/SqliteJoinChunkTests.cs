using System.Text;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The SQLite log's chunks of join entries, through many snapshots in which entries are added, replaced and forgotten
/// in random order: every restart puts back exactly the entries held (byte for byte, in stamp order), entries put back
/// as bytes and never read are replaced and forgotten correctly, and compaction keeps the file within about twice the
/// live entries.
/// </summary>
public sealed class SqliteJoinChunkTests
{
    private static readonly JoinScope[] Scopes = [new("ns", "a"), new("ns", "b")];
    private static readonly MetricKey Key = new("ns", "a", "p", "m");

    [TestCase(1)]
    [TestCase(2)]
    public void Entries_come_back_exactly_whatever_order_they_die_in_and_the_file_stays_near_the_live_entries(int seed)
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-join-chunks", Guid.NewGuid().ToString("N"));
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(seed);
        var held = new Dictionary<(JoinScope Scope, string RequestId), RequestEntry>();
        var (log, engine) = Open(dir, clock);
        long stamp = 0, next = 0, compactedAtMost = 0;
        try
        {
            for (var round = 1; round <= 40; round++)
            {
                var changes = new ChangeSet(clock.GetUtcNow());
                var ids = held.Keys.OrderBy(_ => random.Next()).ToList();
                foreach (var id in ids.Take(400))
                {
                    changes.Add(new JoinChanged(id.Scope, id.RequestId, JoinStep.Expired, null));
                    held.Remove(id);
                }

                foreach (var id in ids.Skip(400).Take(100))
                {
                    var entry = Parked(++stamp, random);
                    changes.Add(new JoinChanged(id.Scope, id.RequestId, JoinStep.ParkedReplaced, entry));
                    held[id] = entry;
                }

                for (var i = 0; i < 450; i++)
                {
                    var id = (Scopes[random.Next(Scopes.Length)], $"request-{next++}");
                    var entry = Parked(++stamp, random);
                    changes.Add(new JoinChanged(id.Item1, id.Item2, JoinStep.Parked, entry));
                    held[id] = entry;
                }

                log.Commit(changes);
                engine.Apply(changes);
                if (round % 3 != 0)
                {
                    log.Maintain(engine.State, _ => false, [], force: true);
                }

                if (round % 7 == 0)
                {
                    // Every few rounds a restart: graceful (the last snapshot) or a crash (the journal after it too).
                    log.Close(graceful: round % 2 == 0);
                    (log, engine) = Open(dir, clock);
                    AssertHeld(engine.State.Join, held, $"seed {seed}, after the restart of round {round}");
                }

                var stored = StoredRows(dir);
                compactedAtMost = Math.Max(compactedAtMost, stored);
                Assert.That(stored, Is.LessThanOrEqualTo((2 * held.Count) + 4096 + 1100), $"seed {seed}, round {round}: rows in the file, {held.Count} live");
            }

            log.Close(graceful: true);
            (log, engine) = Open(dir, clock);
            AssertHeld(engine.State.Join, held, $"seed {seed}, at the end");
            TestContext.Out.WriteLine($"seed {seed}: {held.Count} entries held, at most {compactedAtMost} rows in the file's chunks");
        }
        finally
        {
            log.Close(graceful: false);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (SqliteStateLog Log, FeedbackEngine Engine) Open(string dir, TimeProvider clock)
    {
        var state = new EngineState(new MetricsBook(100, 100, time: clock), new JoinBook(), new DedupeWindow(TimeSpan.FromDays(1), 1000, clock)) { TrackChanges = true };
        var engine = new FeedbackEngine(state, new JoinLimits(TimeSpan.FromDays(7), 1_000_000), clock);
        var log = new SqliteStateLog(dir, clock);
        log.Load(engine);
        return (log, engine);
    }

    private static RequestEntry Parked(long stamp, Random random)
    {
        var at = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(stamp);
        var truth = new DecodedTruth([ClassLabel.OfIndex(random.Next(3)), ClassLabel.OfIndex(random.Next(3))], 3);
        return new RequestEntry(Key, null, default, truth, random.Next(2) == 0 ? null : random.NextDouble(), at, default, null, at, stamp);
    }

    private static void AssertHeld(JoinBook join, Dictionary<(JoinScope Scope, string RequestId), RequestEntry> held, string context)
    {
        var expected = held.OrderBy(pair => pair.Value.Stamp).Select(pair => $"{pair.Key.Scope} {pair.Key.RequestId} {Encoded(pair.Value)}").ToList();
        var restored = join.Entries().Select(e => $"{e.Scope} {e.RequestId} {Encoded(e.Entry)}").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(join.Count, Is.EqualTo(held.Count), context);
            Assert.That(restored, Is.EqualTo(expected), context);
            foreach (var scope in Scopes)
            {
                Assert.That(join.Figures(scope)!.ParkedTruths, Is.EqualTo(held.Keys.Count(id => id.Scope == scope)), $"{context}, {scope}");
            }
        });
    }

    private static string Encoded(RequestEntry entry)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            RecordCodec.WriteEntry(w, entry);
        }

        return Convert.ToBase64String(buffer.ToArray());
    }

    /// <summary>Join entries the file's chunks hold, live or dead.</summary>
    private static long StoredRows(string dir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, SqliteSchema.FileName)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT entries FROM join_chunks";
        using var reader = command.ExecuteReader();
        long rows = 0;
        while (reader.Read())
        {
            rows += JoinChunkBlob.Count((byte[])reader[0]);
        }

        return rows;
    }
}
