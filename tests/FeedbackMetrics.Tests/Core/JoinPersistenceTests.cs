using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;
using Microsoft.Extensions.Time.Testing;
using static FeedbackMetrics.Tests.Core.JoinHousekeeping;
using static FeedbackMetrics.Tests.Core.JoinInputs;

namespace FeedbackMetrics.Tests.Core;

public sealed class JoinPersistenceTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private static readonly MetricKey[] Keys = [new("a", "x", "p1", "m"), new("a", "x", "p2", "m"), new("b", "y", "p", "m")];

    /// <summary>A store in miniature: the entries and deployment states the ledger handed over, as the last write left them.</summary>
    private sealed class Disk
    {
        public Dictionary<(JoinScope, string), JoinRecord> Entries { get; } = [];

        public Dictionary<JoinScope, JoinScopeState> Scopes { get; } = [];

        public void Write(JoinChanges changes)
        {
            foreach (var record in changes.Written)
            {
                Entries[(record.Scope, record.RequestId)] = record;
            }

            foreach (var deleted in changes.Deleted)
            {
                Entries.Remove(deleted);
            }

            foreach (var state in changes.Scopes)
            {
                Scopes[state.Scope] = state;
            }
        }

        public Disk Copy()
        {
            var copy = new Disk();
            copy.Write(new JoinChanges([.. Entries.Values], [], [.. Scopes.Values]));
            return copy;
        }

        /// <summary>
        /// The entries as text, sequence numbers left out: a ledger restored numbers on after the highest it was given,
        /// one that forgot its newest entries or took calls back after the last of them.
        /// </summary>
        public List<string> Describe() =>
            [.. Entries.Values.Select(r =>
                $"{r.Scope}/{r.RequestId} {r.Key} {string.Join(",", r.Response?.Rows.Select(c => c.Index) ?? [])} {r.ResponseArrived:O} " +
                $"{string.Join(",", r.Truth?.Rows.Select(c => c.Index) ?? [])} {r.Reward} {r.TruthArrived:O} {r.CountedAt:O} {r.LastChange:O}").Order()];
    }

    /// <summary>One random step on a ledger: a response, a truth, or time passing (the figures forget what fell due).</summary>
    private static string Step(JoinLedger ledger, FakeTimeProvider clock, Random random, int step, bool timeMayPass = true)
    {
        var key = Keys[random.Next(Keys.Length)];
        var id = $"r{random.Next(40)}";
        var rows = (id.Length % 2) + 1; // the same id always has the same row count
        switch (random.Next(timeMayPass ? 4 : 3))
        {
            case 0:
            case 1:
                var vectors = Enumerable.Range(0, rows).Select(_ => Normalised(random)).ToList();
                var response = ledger.OfferResponse(key, id, Response(vectors));
                return $"{response.Action} {Describe(response)}";
            case 2:
                var truth = ledger.OfferTruth(JoinScope.Of(key), id, Truth([.. Enumerable.Range(0, rows).Select(_ => random.Next(3))]), random.Next(2) == 0 ? null : step);
                return $"{truth.Action} {Describe(truth)}";
            default:
                clock.Advance(TimeSpan.FromMinutes(random.Next(20)));
                Expired(ledger).FiguresAll();
                return "time";
        }
    }

    private static double[] Normalised(Random random)
    {
        var p = new[] { random.NextDouble(), random.NextDouble(), random.NextDouble() };
        var sum = p.Sum();
        return [.. p.Select(v => v / sum)];
    }

    private static string Describe(JoinResult result) =>
        $"{result.Key} {Rows(result.Counted?.Rows.Select(r => (r.Truth.Index, r.Predicted.Index)))} {Rows(result.Replaced?.Rows.Select(r => (r.Truth.Index, r.Predicted.Index)))} " +
        $"{result.Counted?.Reward}";

    private static string Rows(IEnumerable<(int, int)>? rows) => rows is null ? "-" : string.Join(",", rows);

    private static void AssertSameFigures(JoinLedger restored, JoinLedger original)
    {
        var expected = Expired(original).FiguresAll();
        var actual = Expired(restored).FiguresAll();
        Assert.That(actual, Has.Count.EqualTo(expected.Count));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i] with { Estimated = expected[i].Estimated }, Is.EqualTo(expected[i]));
            Assert.That(actual[i].Estimated with { Accuracy = expected[i].Estimated.Accuracy }, Is.EqualTo(expected[i].Estimated));
            Assert.That(actual[i].Estimated.Accuracy ?? -1, Is.EqualTo(expected[i].Estimated.Accuracy ?? -1).Within(1e-9));
        }
    }

    private static bool IsEmpty(JoinChanges changes) => changes.Written.Count == 0 && changes.Deleted.Count == 0 && changes.Scopes.Count == 0;

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void A_ledger_restored_from_the_changes_it_handed_over_has_the_same_figures_and_goes_on_the_same(int seed)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var original = new JoinLedger(new JoinLimits(Ttl, 25), clock);
        var disk = new Disk();
        var random = new Random(seed);
        for (var round = 0; round < 10; round++)
        {
            for (var step = 0; step < 200; step++)
            {
                Step(original, clock, random, (round * 1000) + step);
                if (random.Next(4) == 0)
                {
                    disk.Write(original.TakeChanges());
                }
            }

            disk.Write(original.TakeChanges());
            var restoredClock = new FakeTimeProvider(clock.GetUtcNow());
            var restored = new JoinLedger(new JoinLimits(Ttl, 25), restoredClock);
            restored.Restore(disk.Entries.Values, disk.Scopes.Values);
            Assert.That(IsEmpty(restored.TakeChanges()), Is.True, "nothing was due: a restore writes nothing");
            AssertSameFigures(restored, original);
            var restoredDisk = disk.Copy();

            // From here on both answer every step alike.
            var lockstep = new Random(seed * 100 + round);
            var copy = new Random(seed * 100 + round);
            for (var step = 0; step < 100; step++)
            {
                var expected = Step(original, clock, lockstep, 500 + step);
                Assert.That(Step(restored, restoredClock, copy, 500 + step), Is.EqualTo(expected), $"round {round}, step {step}");
            }

            AssertSameFigures(restored, original);
            disk.Write(original.TakeChanges());
            restoredDisk.Write(restored.TakeChanges());
            Assert.That(restoredDisk.Describe(), Is.EqualTo(disk.Describe()), "both hand over the same entries");
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Rolling_back_a_savepoint_leaves_the_ledger_as_if_its_calls_never_happened(int seed)
    {
        var start = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        var (clock, referenceClock) = (new FakeTimeProvider(start), new FakeTimeProvider(start));
        var ledger = new JoinLedger(new JoinLimits(Ttl, 25), clock);
        var reference = new JoinLedger(new JoinLimits(Ttl, 25), referenceClock);
        var (disk, referenceDisk) = (new Disk(), new Disk());
        var random = new Random(seed);
        var rolledBack = 0;
        for (var request = 0; request < 600; request++)
        {
            var advance = TimeSpan.FromMinutes(random.Next(8));
            clock.Advance(advance);
            referenceClock.Advance(advance);

            // A request of a few calls (no time passes within it), kept or taken back; the reference only sees those kept.
            var calls = 1 + random.Next(4);
            var seedOfRequest = random.Next();
            var savepoint = ledger.Begin();
            var steps = new Random(seedOfRequest);
            var answers = new List<string>();
            for (var call = 0; call < calls; call++)
            {
                answers.Add(Step(ledger, clock, steps, (request * 10) + call, timeMayPass: false));
            }

            ledger.End(savepoint);
            if (random.Next(3) == 0)
            {
                ledger.Rollback(savepoint);
                rolledBack++;
            }
            else
            {
                var same = new Random(seedOfRequest);
                for (var call = 0; call < calls; call++)
                {
                    Assert.That(Step(reference, referenceClock, same, (request * 10) + call, timeMayPass: false), Is.EqualTo(answers[call]), $"request {request}, call {call}");
                }
            }

            AssertSameFigures(ledger, reference);
            disk.Write(ledger.TakeChanges());
            referenceDisk.Write(reference.TakeChanges());
            Assert.That(disk.Describe(), Is.EqualTo(referenceDisk.Describe()), $"request {request}: the same entries");
        }

        Assert.That(rolledBack, Is.GreaterThan(100));
    }

    [Test]
    public void What_expired_while_the_server_was_down_is_forgotten_and_counted_at_restore_and_handed_over_for_deletion()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var key = Keys[0];
        var ledger = new JoinLedger(new JoinLimits(Ttl, 100), clock);
        ledger.OfferResponse(key, "old", Response("[[0.6, 0.4]]"));
        clock.Advance(TimeSpan.FromMinutes(30));
        ledger.OfferTruth(JoinScope.Of(key), "parked", Truth(1), null);
        var disk = new Disk();
        disk.Write(ledger.TakeChanges());

        clock.Advance(TimeSpan.FromMinutes(40));
        var restored = new JoinLedger(new JoinLimits(Ttl, 100), clock);
        restored.Restore(disk.Entries.Values, disk.Scopes.Values);
        var figures = Expired(restored).Figures(JoinScope.Of(key))!;
        var changes = restored.TakeChanges();
        Assert.Multiple(() =>
        {
            Assert.That(figures.Totals.ExpiredResponses, Is.EqualTo(1));
            Assert.That(figures.PendingResponses, Is.Zero);
            Assert.That(figures.ParkedTruths, Is.EqualTo(1));
            Assert.That(figures.Totals.ResponsesSeen, Is.EqualTo(1));
            Assert.That(changes.Deleted, Is.EqualTo(new[] { (JoinScope.Of(key), "old") }));
            Assert.That(changes.Written, Is.Empty);
            Assert.That(changes.Scopes.Single().Totals.ExpiredResponses, Is.EqualTo(1));
        });
    }
}
