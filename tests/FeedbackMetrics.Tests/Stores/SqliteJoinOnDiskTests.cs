using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;
using FeedbackMetrics.Server.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using static FeedbackMetrics.Tests.Core.JoinInputs;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The join with its entries on disk (the SQLite store's way) against the ledger that holds them all in memory, on
/// the same random stream: responses, truths, corrections, counted rows, refused requests, failed and successful
/// commits, time passing past the TTL, the size cap, and restarts from the file.
/// </summary>
public sealed class SqliteJoinOnDiskTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private static readonly MetricKey[] Keys = [new("a", "x", "p1", "m"), new("a", "x", "p2", "m"), new("b", "y", "p", "m")];
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A ledger over a state file, written as the store writes it: changes in a transaction, then <see cref="JoinLedger.Committed"/>.</summary>
    private sealed class OnDisk : IDisposable
    {
        private readonly string _dir;
        private readonly int _cap;
        private readonly int _forgetChunk;
        private SqliteConnection _writer = null!;
        private SqliteJoinStatements _statements = null!;
        private SqliteJoinEntries _entries = null!;

        public OnDisk(string dir, FakeTimeProvider clock, int cap, int forgetChunk)
        {
            (_dir, _cap, _forgetChunk, Clock) = (dir, cap, forgetChunk, clock);
            Open();
        }

        public FakeTimeProvider Clock { get; }

        /// <summary>Lookups the directory of rows answered "absent" without reading, over all openings.</summary>
        public long Skipped => _skippedBefore + _entries.Skipped;

        public SqliteJoinEntries Entries => _entries;

        private long _skippedBefore;

        public JoinLedger Ledger { get; private set; } = null!;

        /// <summary>Writes what changed in one transaction (<paramref name="meanwhile"/> runs before it commits); when <paramref name="fail"/>, the transaction is rolled back and the changes handed back, as the store does when a commit fails.</summary>
        public void Commit(bool fail = false, Action? meanwhile = null)
        {
            _entries.EndBatch(); // as the store does: the shared read ends before anything is committed
            using var transaction = _writer.BeginTransaction(deferred: false);
            _statements.Transaction = transaction;
            var changes = Ledger.TakeChanges();
            _statements.Write(changes);

            // Another thread may call the ledger while the commit is in flight (a scrape that expires what is due).
            meanwhile?.Invoke();
            if (fail)
            {
                transaction.Rollback();
                Ledger.Untake(changes);
                return;
            }

            transaction.Commit();
            _entries.Committed();
            Ledger.Committed(changes);
        }

        /// <summary>The reads from now until the next commit share one read transaction, as while the store plans a group.</summary>
        public void BeginBatch() => _entries.BeginBatch();

        /// <summary>A restart: a new ledger from the file alone.</summary>
        public void Reopen()
        {
            Dispose();
            Open();
        }

        public void Dispose()
        {
            _skippedBefore += _entries.Skipped;
            _statements.Dispose();
            _entries.Dispose();
            _writer.Dispose();
        }

        private void Open()
        {
            _writer = SqliteStateFile.Open(_dir);
            _entries = new SqliteJoinEntries(_dir);
            _statements = new SqliteJoinStatements(_writer, _entries);
            Ledger = new JoinLedger(new JoinLimits(Ttl, _cap), Clock, trackChanges: true, _forgetChunk);
            _entries.Load();
            Ledger.Restore(_entries, SqliteJoinStatements.LoadScopes(_writer));
        }
    }

    /// <summary>One random call: a response, a truth (a first one, a correction or the same again), counted rows, or a look at the figures.</summary>
    private static string Step(JoinLedger ledger, FakeTimeProvider clock, Random random, int step)
    {
        var key = Keys[random.Next(Keys.Length)];
        var id = $"r{random.Next(60)}";
        var rows = (id.Length % 2) + 1; // the same id always has the same row count
        switch (random.Next(6))
        {
            case 0:
            case 1:
                var vectors = Enumerable.Range(0, rows).Select(_ => Normalised(random)).ToList();
                return Describe(ledger.OfferResponse(key, id, Response(vectors)));
            case 2:
            case 3:
                // Now and then a truth of the wrong row count: refused, the whole request is taken back.
                var truthRows = random.Next(25) == 0 ? rows + 1 : rows;
                return Describe(ledger.OfferTruth(JoinScope.Of(key), id, Truth([.. Enumerable.Range(0, truthRows).Select(_ => random.Next(3))]), random.Next(2) == 0 ? null : step));
            case 4:
                var counted = Enumerable.Range(0, rows).Select(r => new CountedRow(new RowStamp((step * 10) + r, clock.GetUtcNow()), new WindowRow(r, r))).ToList();
                return ledger.RecordCounted(JoinScope.Of(key), id, counted).ToString();
            default:
                return string.Join(";", ledger.FiguresAll());
        }
    }

    private static string Describe(JoinResult r) =>
        $"{r.Action} {r.Key} {string.Join(",", r.Counted?.Rows.Select(x => (x.Truth.Index, x.Predicted.Index)) ?? [])} " +
        $"{string.Join(",", r.Replaced?.Rows.Select(x => (x.Truth.Index, x.Predicted.Index)) ?? [])} {r.Counted?.Reward} {r.FirstCountedAt:O} " +
        $"{string.Join(",", r.CountedRows?.Select(c => c.Stamp.Sequence) ?? [])}";

    private static double[] Normalised(Random random)
    {
        var p = new[] { random.NextDouble(), random.NextDouble(), random.NextDouble() };
        var sum = p.Sum();
        return [.. p.Select(v => v / sum)];
    }

    /// <summary>A request as a store admits it: its calls inside one savepoint, taken back whole when one is refused (or at random, as a class limit would).</summary>
    private static List<string> Request(JoinLedger ledger, FakeTimeProvider clock, int seed, int calls, bool refuse, int number)
    {
        var random = new Random(seed);
        var answers = new List<string>();
        var savepoint = ledger.Begin();
        try
        {
            for (var call = 0; call < calls; call++)
            {
                answers.Add(Step(ledger, clock, random, (number * 10) + call));
            }
        }
        catch (InvalidFeedbackException x)
        {
            answers.Add(x.Message);
            refuse = true;
        }

        ledger.End(savepoint);
        if (refuse)
        {
            ledger.Rollback(savepoint);
        }

        return answers;
    }

    private static List<string> Entries(JoinLedger ledger) =>
        [.. ledger.Export().Entries.Select(r =>
            $"{r.Scope}/{r.RequestId} {r.Key} {string.Join(",", r.Response?.Rows.Select(c => c.Index) ?? [])} {r.ResponseArrived:O} " +
            $"{string.Join(",", r.Truth?.Rows.Select(c => c.Index) ?? [])} {r.Reward} {r.TruthArrived:O} {r.CountedAt:O} {r.LastChange:O} " +
            $"{string.Join(",", r.Counted?.Select(c => c.Stamp.Sequence) ?? [])}").Order()];

    // The filter of ids on disk: none (every lookup reads), too small to answer "absent" often, or roomy; each is
    // built again whenever it fills, a chunk of three rows per commit, while entries are written, forgotten and put back.
    // Expiry and the cap forget a chunk per call: the default, or so few that most large expiries are left half done
    // between calls, and calls meet entries past their TTL that expiry has not reached yet.
    [TestCase(1, 1000, JoinLedger.DefaultForgetChunk)]
    [TestCase(2, 1000, JoinLedger.DefaultForgetChunk)]
    [TestCase(3, 25, JoinLedger.DefaultForgetChunk)]
    [TestCase(4, 25, 2)]
    [TestCase(5, 8, JoinLedger.DefaultForgetChunk)]
    [TestCase(6, 3, JoinLedger.DefaultForgetChunk)]
    [TestCase(7, 1000, JoinLedger.DefaultForgetChunk)]
    [TestCase(8, 1000, 1)]
    [TestCase(9, 8, 2)]
    public void Entries_on_disk_give_the_same_answers_and_figures_as_entries_in_memory(int seed, int cap, int forgetChunk)
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-join-on-disk", Guid.NewGuid().ToString("N"));
        using var disk = new OnDisk(dir, new FakeTimeProvider(Start), cap, forgetChunk);
        var clock = new FakeTimeProvider(Start);
        var memory = new JoinLedger(new JoinLimits(Ttl, cap), clock, trackChanges: true, forgetChunk);
        var random = new Random(seed);
        var (restarts, failed, refused) = (0, 0, 0);
        for (var request = 0; request < 1500; request++)
        {
            var advance = TimeSpan.FromMinutes(random.Next(random.Next(20) == 0 ? 90 : 6));
            clock.Advance(advance);
            disk.Clock.Advance(advance);
            var (requestSeed, calls, refuse) = (random.Next(), 1 + random.Next(4), random.Next(8) == 0);
            var expected = Request(memory, clock, requestSeed, calls, refuse, request);
            if (request % 3 != 0)
            {
                disk.BeginBatch(); // most requests are planned inside a shared read, some not
            }

            Assert.That(Request(disk.Ledger, disk.Clock, requestSeed, calls, refuse, request), Is.EqualTo(expected), $"request {request}");
            refused += refuse ? 1 : 0;

            void Meanwhile()
            {
                var step = TimeSpan.FromMinutes(random.Next(30));
                clock.Advance(step);
                disk.Clock.Advance(step);
                Assert.That(disk.Ledger.FiguresAll(), Is.EqualTo(memory.FiguresAll()), $"request {request}, during the commit");
            }

            switch (random.Next(12))
            {
                case 0:
                    disk.Commit(fail: true);
                    failed++;
                    break;
                case 10:
                    disk.Commit(fail: random.Next(2) == 0, meanwhile: Meanwhile);
                    break;
                case 11:
                    disk.Commit(meanwhile: Meanwhile);
                    disk.Commit();
                    Assert.That(disk.Ledger.HeldInMemory, Is.Zero, "after a commit memory holds no entry");
                    break;
                case 1:
                    disk.Commit();
                    disk.Reopen();
                    restarts++;
                    break;
                case < 6:
                    disk.Commit();
                    Assert.That(disk.Ledger.HeldInMemory, Is.Zero, "after a commit memory holds no entry");
                    break;
                default:
                    break; // the group goes on: changes stay in memory until a commit
            }

            Assert.That(disk.Ledger.FiguresAll(), Is.EqualTo(memory.FiguresAll()), $"request {request}");
            Assert.That(disk.Ledger.Count, Is.EqualTo(memory.Count), $"request {request}");
            if (request % 100 == 0)
            {
                Assert.That(Entries(disk.Ledger), Is.EqualTo(Entries(memory)), $"request {request}");
            }
        }

        var totals = memory.FiguresAll().Select(f => f.Totals).ToList();
        TestContext.Progress.WriteLine(
            $"seed {seed} cap {cap}: {restarts} restarts, {failed} failed commits, {refused} refused; " +
            $"expired {totals.Sum(t => t.ExpiredResponses + t.ExpiredTruths)}, evicted {totals.Sum(t => t.EvictedResponses + t.EvictedTruths)}, " +
            $"forgotten joins {totals.Sum(t => t.ForgottenJoins)}, corrections {totals.Sum(t => t.Corrections)}; " +
            $"{disk.Skipped} lookups answered from memory");
        Assert.Multiple(() =>
        {
            Assert.That(totals.Sum(t => t.ExpiredResponses + t.ExpiredTruths), Is.GreaterThan(0), "the TTL forgot entries");
            Assert.That(totals.Sum(t => t.Corrections), Is.GreaterThan(0));
            Assert.That(disk.Skipped, Is.GreaterThan(0), "lookups of ids not on disk read nothing");
            if (cap < 100)
            {
                Assert.That(totals.Sum(t => t.EvictedResponses + t.EvictedTruths + t.ForgottenJoins), Is.GreaterThan(0), "the cap forgot entries");
            }
        });
    }

    [Test]
    public void At_the_cap_new_responses_are_appended_the_oldest_rows_deleted_and_only_held_ids_kept_in_memory()
    {
        const int Cap = 200;
        var dir = Path.Combine(Path.GetTempPath(), "fm-join-on-disk", Guid.NewGuid().ToString("N"));
        using var disk = new OnDisk(dir, new FakeTimeProvider(Start), Cap, JoinLedger.DefaultForgetChunk);
        var key = Keys[0];
        for (var i = 0; i < 20 * Cap; i++)
        {
            disk.BeginBatch();
            Assert.That(disk.Ledger.OfferResponse(key, $"r{i}", Response("[[0.2, 0.3, 0.5]]")).Action, Is.EqualTo(JoinAction.ResponsePending));
            if (i % 7 == 0)
            {
                // Now and then a second response for a held id (one of the last Cap): it must be found on disk.
                Assert.That(disk.Ledger.OfferResponse(key, $"r{i - (i % Cap)}", Response("[[0.2, 0.3, 0.5]]")).Action, Is.EqualTo(JoinAction.ResponseAlreadyHeld));
            }

            disk.Commit();
            Assert.That(disk.Entries.Indexed, Is.EqualTo(Math.Min(i + 1, Cap)), $"after response {i}: the directory holds the entries held, no more");
        }

        var evicted = disk.Ledger.Figures(JoinScope.Of(key))!.Totals.EvictedResponses;
        using var file = new SqliteConnection($"Data Source={SqliteStateFile.PathIn(dir)};Pooling=False;Mode=ReadOnly");
        file.Open();
        using var rows = file.CreateCommand();
        rows.CommandText = "SELECT min(rowid), max(rowid), count(*), (SELECT count(*) FROM sqlite_master WHERE tbl_name = 'join_entries' AND type = 'index') FROM join_entries";
        using var reader = rows.ExecuteReader();
        reader.Read();
        var (first, last, count, indexes) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        TestContext.Progress.WriteLine($"{20 * Cap} responses at a cap of {Cap}: {evicted} evicted, rows {first}..{last} ({count}), {disk.Skipped} lookups answered from memory");
        Assert.Multiple(() =>
        {
            Assert.That(evicted, Is.EqualTo((20 * Cap) - Cap));
            Assert.That(count, Is.EqualTo(Cap));
            Assert.That(last - first + 1, Is.EqualTo(Cap), "the rows held are the last ones appended: one contiguous run of rowids");
            Assert.That(indexes, Is.EqualTo(1), "one index on disk, by sequence number; none by request id");
            Assert.That(disk.Skipped, Is.GreaterThanOrEqualTo(20 * Cap), "every new id is answered without reading");
        });
    }
}
