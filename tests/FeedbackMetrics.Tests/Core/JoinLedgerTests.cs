using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using Microsoft.Extensions.Time.Testing;
using static FeedbackMetrics.Tests.Core.JoinHousekeeping;
using static FeedbackMetrics.Tests.Core.JoinInputs;

namespace FeedbackMetrics.Tests.Core;

public sealed class JoinLedgerTests
{
    private static readonly MetricKey Key = new("ns", "dep", "default", "classifier");
    private static readonly JoinScope Scope = JoinScope.Of(Key);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private JoinLedger Ledger(int maxEntries = 1000) => new(new JoinLimits(Ttl, maxEntries), _clock);

    /// <summary>Entries held, every deployment together.</summary>
    private static long Held(JoinLedger ledger) => Expired(ledger).FiguresAll().Sum(f => f.PendingResponses + f.ParkedTruths + f.JoinedHeld);

    private static (int Truth, int Predicted)[] Rows(DecodedFeedback feedback) =>
        [.. feedback.Rows.Select(r => (r.Truth.Index, r.Predicted.Index))];

    [Test]
    public void Truth_after_its_response_joins_under_the_response_key_with_its_label_delay()
    {
        var ledger = Ledger();
        Assert.That(ledger.OfferResponse(Key, "r1", Response("[[0.1, 0.7, 0.2]]")).Action, Is.EqualTo(JoinAction.ResponsePending));
        Assert.That(Expired(ledger).Figures(Scope)!.PendingResponses, Is.EqualTo(1));

        _clock.Advance(TimeSpan.FromSeconds(90));
        var truthKeyElsewhere = new JoinScope("ns", "dep");
        var result = ledger.OfferTruth(truthKeyElsewhere, "r1", Truth(1), reward: 1);

        var figures = Expired(ledger).Figures(Scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(result.Action, Is.EqualTo(JoinAction.Joined));
            Assert.That(result.Key, Is.EqualTo(Key));
            Assert.That(Rows(result.Counted!), Is.EqualTo(new[] { (1, 1) }));
            Assert.That(result.Counted!.Reward, Is.EqualTo(1));
            Assert.That(figures.PendingResponses, Is.Zero);
            Assert.That(figures.Totals.Joined, Is.EqualTo(1));
            Assert.That(figures.Totals.LabelCoverage, Is.EqualTo(1.0));
            Assert.That(figures.LabelDelay.P50!.Value, Is.EqualTo(90).Within(4.5).Percent);
            Assert.That(figures.LabelDelay.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void Truth_is_matched_only_within_its_namespace_and_deployment()
    {
        var ledger = Ledger();
        ledger.OfferResponse(Key, "r1", Response("[[0.1, 0.7, 0.2]]"));
        Assert.Multiple(() =>
        {
            Assert.That(ledger.OfferTruth(new JoinScope("other-ns", "dep"), "r1", Truth(1), null).Action, Is.EqualTo(JoinAction.TruthParked));
            Assert.That(ledger.OfferTruth(new JoinScope("ns", "other-dep"), "r1", Truth(1), null).Action, Is.EqualTo(JoinAction.TruthParked));
            Assert.That(Expired(ledger).Figures(Scope)!.PendingResponses, Is.EqualTo(1));
        });
    }

    [Test]
    public void Truth_before_its_response_is_parked_and_counted_when_the_response_arrives()
    {
        var ledger = Ledger();
        Assert.That(ledger.OfferTruth(Scope, "r1", Truth(2), null).Action, Is.EqualTo(JoinAction.TruthParked));
        Assert.That(Expired(ledger).Figures(Scope)!.ParkedTruths, Is.EqualTo(1));

        _clock.Advance(TimeSpan.FromMinutes(5));
        var result = ledger.OfferResponse(Key, "r1", Response("[[0.1, 0.2, 0.7]]"));
        var figures = Expired(ledger).Figures(Scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(result.Action, Is.EqualTo(JoinAction.Joined));
            Assert.That(result.Key, Is.EqualTo(Key));
            Assert.That(Rows(result.Counted!), Is.EqualTo(new[] { (2, 2) }));
            Assert.That(figures.ParkedTruths, Is.Zero);
            Assert.That(figures.PendingResponses, Is.Zero);
            Assert.That(figures.Totals.Joined, Is.EqualTo(1));
            Assert.That(figures.Totals.ResponsesSeen, Is.EqualTo(1));
            Assert.That(figures.LabelDelay.P99, Is.Zero, "the label was there before the response: no delay");
        });
    }

    [Test]
    public void A_second_response_for_a_request_id_held_keeps_the_first_and_is_counted()
    {
        var ledger = Ledger();
        ledger.OfferResponse(Key, "r1", Response("[[0.9, 0.05, 0.05]]"));
        var second = ledger.OfferResponse(Key, "r1", Response("[[0.05, 0.05, 0.9]]"));
        var joined = ledger.OfferTruth(Scope, "r1", Truth(0), null);
        Assert.Multiple(() =>
        {
            Assert.That(second.Action, Is.EqualTo(JoinAction.ResponseAlreadyHeld));
            Assert.That(Rows(joined.Counted!), Is.EqualTo(new[] { (0, 0) }));
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.DuplicateResponses, Is.EqualTo(1));
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.ResponsesSeen, Is.EqualTo(1));
        });
    }

    [Test]
    public void Pending_response_expires_after_the_ttl_and_is_counted_not_joined()
    {
        var ledger = Ledger();
        ledger.OfferResponse(Key, "r1", Response("[[0.1, 0.7, 0.2]]"));
        _clock.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.That(Expired(ledger).Figures(Scope)!.PendingResponses, Is.EqualTo(1));

        _clock.Advance(TimeSpan.FromSeconds(1));
        var figures = Expired(ledger).Figures(Scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(figures.PendingResponses, Is.Zero);
            Assert.That(figures.Totals.ExpiredResponses, Is.EqualTo(1));
            Assert.That(figures.Totals.Expired, Is.EqualTo(1));
            Assert.That(figures.Totals.LabelCoverage, Is.Zero);
            Assert.That(Held(ledger), Is.Zero);
        });
        Assert.That(ledger.OfferTruth(Scope, "r1", Truth(1), null).Action, Is.EqualTo(JoinAction.TruthParked));
    }

    [Test]
    public void Parked_truth_expires_after_the_ttl_and_its_late_response_waits_for_a_new_truth()
    {
        var ledger = Ledger();
        ledger.OfferTruth(Scope, "r1", Truth(1), null);
        _clock.Advance(Ttl);
        Assert.Multiple(() =>
        {
            Assert.That(Expired(ledger).Figures(Scope)!.ParkedTruths, Is.Zero);
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.ExpiredTruths, Is.EqualTo(1));
            Assert.That(ledger.OfferResponse(Key, "r1", Response("[[0.1, 0.7, 0.2]]")).Action, Is.EqualTo(JoinAction.ResponsePending));
        });
    }

    [Test]
    public void Restored_over_a_lowered_cap_the_oldest_entries_are_evicted_and_counted()
    {
        var ledger = Ledger(maxEntries: 1000);
        for (var i = 0; i < 10; i++)
        {
            ledger.OfferResponse(Key, $"r{i}", Response("[[0.1, 0.7, 0.2]]"));
        }

        var changes = ledger.TakeChanges();
        var restored = Ledger(maxEntries: 3);
        restored.Restore(changes.Written, changes.Scopes);
        var evicted = restored.TakeChanges();
        var figures = Expired(restored).Figures(Scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(Held(restored), Is.EqualTo(3));
            Assert.That(figures.PendingResponses, Is.EqualTo(3));
            Assert.That(figures.Totals.EvictedResponses, Is.EqualTo(7));
            Assert.That(evicted.Deleted.Select(d => d.RequestId), Is.EquivalentTo(Enumerable.Range(0, 7).Select(i => $"r{i}")), "handed over for deletion");
            Assert.That(restored.OfferTruth(Scope, "r7", Truth(1), null).Action, Is.EqualTo(JoinAction.Joined), "the newest stay");
            Assert.That(restored.OfferTruth(Scope, "r6", Truth(1), null).Action, Is.EqualTo(JoinAction.TruthParked), "the oldest went");
        });
    }

    [Test]
    public void An_entry_past_its_ttl_is_not_joined_though_one_stamped_before_it_is_not_due_yet()
    {
        // Entries restored from what several replicas wrote: stamps need not follow each entry's last change.
        var ledger = Ledger();
        ledger.OfferResponse(Key, "early", Response("[[0.1, 0.7, 0.2]]"));
        _clock.Advance(Ttl / 2);
        ledger.OfferResponse(Key, "late", Response("[[0.1, 0.7, 0.2]]"));
        var changes = ledger.TakeChanges();
        var records = changes.Written.Select(r => r with { Sequence = r.RequestId == "early" ? 2 : 1 }).ToList();
        _clock.Advance(Ttl / 2);

        var restored = Ledger();
        restored.Restore(records, changes.Scopes);
        Assert.That(restored.TakeChanges().Deleted, Is.Empty, "expiry stops at the oldest stamp, which is not due");
        Assert.Multiple(() =>
        {
            Assert.That(restored.OfferTruth(Scope, "early", Truth(1), null).Action, Is.EqualTo(JoinAction.TruthParked), "found past its TTL: forgotten, the truth parked as new");
            Assert.That(restored.OfferTruth(Scope, "late", Truth(1), null).Action, Is.EqualTo(JoinAction.Joined));
            Assert.That(Expired(restored).Figures(Scope)!.Totals.ExpiredResponses, Is.EqualTo(1));
        });
    }

    [Test]
    public void The_ttl_runs_from_each_entry_s_last_change()
    {
        var ledger = Ledger();
        ledger.OfferResponse(Key, "early", Response("[[0.1, 0.7, 0.2]]"));
        _clock.Advance(Ttl / 2);
        ledger.OfferResponse(Key, "late", Response("[[0.1, 0.7, 0.2]]"));
        _clock.Advance(Ttl / 2);
        Assert.Multiple(() =>
        {
            Assert.That(ledger.OfferTruth(Scope, "early", Truth(1), null).Action, Is.EqualTo(JoinAction.TruthParked));
            Assert.That(ledger.OfferTruth(Scope, "late", Truth(1), null).Action, Is.EqualTo(JoinAction.Joined));
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.ExpiredResponses, Is.EqualTo(1));
        });
    }

    [Test]
    public void Relabel_replaces_the_first_truth_and_moves_the_row_in_the_confusion_matrix()
    {
        var ledger = Ledger();
        var book = new MetricsBook(100, 100);
        ledger.OfferResponse(Key, "r1", Response("[[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]"));
        var first = ledger.OfferTruth(Scope, "r1", Truth(0, 1), null);
        var counted = new List<CountedRow>();
        book.Apply(first.Key!.Value, first.Counted!, counted);
        Assert.That(book.SnapshotAll()[0].Matrix, Is.EqualTo(new long[] { 1, 0, 0, 0, 0, 1, 0, 0, 0 }));

        _clock.Advance(TimeSpan.FromMinutes(1));
        var relabel = ledger.OfferTruth(Scope, "r1", Truth(0, 2), null);
        Assert.Multiple(() =>
        {
            Assert.That(relabel.Action, Is.EqualTo(JoinAction.Corrected));
            Assert.That(Rows(relabel.Replaced!), Is.EqualTo(new[] { (0, 0), (1, 2) }));
            Assert.That(Rows(relabel.Counted!), Is.EqualTo(new[] { (0, 0), (2, 2) }));
        });
        var moved = counted
            .Select((row, i) => book.Relabel(relabel.Key!.Value, row, relabel.Counted!.Rows[i].Truth, relabel.Counted.Scores, i))
            .ToList();

        var snapshot = book.SnapshotAll()[0];
        var figures = Expired(ledger).Figures(Scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Count, Is.EqualTo(2));
            Assert.That(snapshot.Matrix, Is.EqualTo(new long[] { 1, 0, 0, 0, 0, 0, 0, 0, 1 }));
            Assert.That(snapshot.Relabelled, Is.EqualTo(new long[] { 0, 0, 0, 0, 0, 1, 0, 0, 0 }), "the row left cell (1, 2); row 0 kept its truth");
            Assert.That(snapshot.Counted().Matrix, Is.EqualTo(new long[] { 1, 0, 0, 0, 0, 1, 0, 0, 1 }), "counters keep the old truth and add the new");
            Assert.That(snapshot.Counted().Count, Is.EqualTo(3));
            Assert.That(figures.Totals.Corrections, Is.EqualTo(1));
            Assert.That(figures.Totals.Joined, Is.EqualTo(1));
            Assert.That(figures.LabelDelay.Count, Is.EqualTo(1), "a relabel is no second label delay");
            Assert.That(ledger.OfferTruth(Scope, "r1", Truth(0, 2), null).Action, Is.EqualTo(JoinAction.TruthUnchanged));
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.Corrections, Is.EqualTo(1));
        });

        // Back to the first truth: a correction again, from the truth that replaced it.
        var back = ledger.OfferTruth(Scope, "r1", Truth(0, 1), null);
        Assert.That((back.Action, Rows(back.Replaced!)), Is.EqualTo((JoinAction.Corrected, new[] { (0, 0), (2, 2) })));

    }

    [Test]
    public void A_second_truth_while_the_first_is_parked_replaces_it_as_a_correction()
    {
        var ledger = Ledger();
        ledger.OfferTruth(Scope, "r1", Truth(0), null);
        Assert.That(ledger.OfferTruth(Scope, "r1", Truth(2), 3.5).Action, Is.EqualTo(JoinAction.ParkedTruthReplaced));
        var joined = ledger.OfferResponse(Key, "r1", Response("[[0.1, 0.2, 0.7]]"));
        Assert.Multiple(() =>
        {
            Assert.That(Rows(joined.Counted!), Is.EqualTo(new[] { (2, 2) }));
            Assert.That(joined.Counted!.Reward, Is.EqualTo(3.5));
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.Corrections, Is.EqualTo(1));
            Assert.That(Expired(ledger).Figures(Scope)!.ParkedTruths, Is.Zero);
        });
    }

    [Test]
    public void Joined_requests_are_kept_for_corrections_until_the_ttl_then_forgotten_and_counted()
    {
        var ledger = Ledger();
        ledger.OfferResponse(Key, "r1", Response("[[0.8, 0.1, 0.1]]"));
        ledger.OfferTruth(Scope, "r1", Truth(0), null);
        _clock.Advance(Ttl);
        var figures = Expired(ledger).Figures(Scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(figures.JoinedHeld, Is.Zero);
            Assert.That(figures.Totals.ForgottenJoins, Is.EqualTo(1));
            Assert.That(figures.Totals.Expired, Is.Zero, "a joined request is not an unmatched side");
            Assert.That(figures.Totals.Joined, Is.EqualTo(1));
            Assert.That(ledger.OfferTruth(Scope, "r1", Truth(1), null).Action, Is.EqualTo(JoinAction.TruthParked));
        });
    }

    [Test]
    public void Past_the_size_cap_the_oldest_entries_are_evicted_and_counted_per_side()
    {
        var ledger = Ledger(maxEntries: 3);
        ledger.OfferResponse(Key, "r1", Response("[[0.8, 0.1, 0.1]]"));
        ledger.OfferTruth(Scope, "t1", Truth(0), null);
        ledger.OfferResponse(Key, "r2", Response("[[0.8, 0.1, 0.1]]"));
        Assert.That(Held(ledger), Is.EqualTo(3));

        ledger.OfferResponse(Key, "r3", Response("[[0.8, 0.1, 0.1]]"));
        ledger.OfferResponse(Key, "r4", Response("[[0.8, 0.1, 0.1]]"));
        var figures = Expired(ledger).Figures(Scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(Held(ledger), Is.EqualTo(3));
            Assert.That(figures.Totals.EvictedResponses, Is.EqualTo(1));
            Assert.That(figures.Totals.EvictedTruths, Is.EqualTo(1));
            Assert.That(figures.PendingResponses, Is.EqualTo(3));
            Assert.That(figures.ParkedTruths, Is.Zero);
            Assert.That(figures.Totals.Expired, Is.EqualTo(2));
            Assert.That(ledger.OfferTruth(Scope, "r1", Truth(0), null).Action, Is.EqualTo(JoinAction.TruthParked), "r1 was the oldest");
            Assert.That(ledger.OfferTruth(Scope, "r4", Truth(0), null).Action, Is.EqualTo(JoinAction.Joined));
        });
    }

    [Test]
    public void A_touched_entry_is_younger_for_the_cap_than_one_left_alone()
    {
        var ledger = Ledger(maxEntries: 2);
        ledger.OfferResponse(Key, "a", Response("[[0.8, 0.1, 0.1]]"));
        ledger.OfferResponse(Key, "b", Response("[[0.8, 0.1, 0.1]]"));
        ledger.OfferTruth(Scope, "a", Truth(0), null);
        ledger.OfferResponse(Key, "c", Response("[[0.8, 0.1, 0.1]]"));
        Assert.Multiple(() =>
        {
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.EvictedResponses, Is.EqualTo(1));
            Assert.That(Expired(ledger).Figures(Scope)!.JoinedHeld, Is.EqualTo(1));
            Assert.That(ledger.OfferTruth(Scope, "a", Truth(1), null).Action, Is.EqualTo(JoinAction.Corrected));
        });
    }

    [Test]
    public void Row_counts_that_differ_are_refused_with_a_reason_and_change_nothing()
    {
        var ledger = Ledger();
        ledger.OfferResponse(Key, "r1", Response("[[0.8, 0.1, 0.1], [0.1, 0.8, 0.1]]"));
        var refusal = Assert.Throws<InvalidFeedbackException>(() => ledger.OfferTruth(Scope, "r1", Truth(0), null))!;
        Assert.Multiple(() =>
        {
            Assert.That(refusal.Kind, Is.EqualTo(RejectionKind.Malformed));
            Assert.That(refusal.Message, Does.Contain("truth has 1 rows but response has 2"));
            Assert.That(Expired(ledger).Figures(Scope)!.PendingResponses, Is.EqualTo(1));
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.Joined, Is.Zero);
        });
        Assert.That(ledger.OfferTruth(Scope, "r1", Truth(0, 1), null).Action, Is.EqualTo(JoinAction.Joined));

        // A correction with another row count is refused too, and the first truth stays.
        Assert.Throws<InvalidFeedbackException>(() => ledger.OfferTruth(Scope, "r1", Truth(0, 1, 2), null));
        Assert.That(ledger.OfferTruth(Scope, "r1", Truth(0, 1), null).Action, Is.EqualTo(JoinAction.TruthUnchanged));

        // So is a response whose parked truth has another row count: the truth stays parked.
        ledger.OfferTruth(Scope, "r2", Truth(0, 1, 2), null);
        Assert.Throws<InvalidFeedbackException>(() => ledger.OfferResponse(Key, "r2", Response("[[0.8, 0.1, 0.1]]")));
        Assert.Multiple(() =>
        {
            Assert.That(Expired(ledger).Figures(Scope)!.ParkedTruths, Is.EqualTo(1));
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.ResponsesSeen, Is.EqualTo(1));
            Assert.That(Expired(ledger).Figures(Scope)!.Totals.Corrections, Is.Zero);
        });
    }

    [Test]
    public void Label_delay_quantiles_are_within_the_bucket_precision_of_the_exact_ones()
    {
        var ledger = Ledger(maxEntries: 100_000);
        var random = new Random(11);
        var delays = new List<double>();
        for (var i = 0; i < 2000; i++)
        {
            var id = $"r{i}";
            ledger.OfferResponse(Key, id, Response("[[0.8, 0.1, 0.1]]"));

            // Log-normal delays from about a second to about a quarter of the TTL.
            var delay = TimeSpan.FromSeconds(Math.Round(Math.Exp(5 + (2 * Normal(random))), 3));
            delay = delay > Ttl / 4 ? Ttl / 4 : delay;
            delays.Add(delay.TotalSeconds);
            _clock.Advance(delay);
            ledger.OfferTruth(Scope, id, Truth(0), null);
        }

        delays.Sort();
        double Exact(double q) => delays[(int)Math.Ceiling(q * delays.Count) - 1];
        var figures = Expired(ledger).Figures(Scope)!;
        Assert.Multiple(() =>
        {
            Assert.That(figures.LabelDelay.Count, Is.EqualTo(2000));
            Assert.That(figures.LabelDelay.P50!.Value, Is.EqualTo(Exact(0.5)).Within(4.43).Percent);
            Assert.That(figures.LabelDelay.P90!.Value, Is.EqualTo(Exact(0.9)).Within(4.43).Percent);
            Assert.That(figures.LabelDelay.P99!.Value, Is.EqualTo(Exact(0.99)).Within(4.43).Percent);
        });
    }

    [Test]
    public void Figures_of_every_deployment_come_in_namespace_then_deployment_order()
    {
        var ledger = Ledger();
        ledger.OfferResponse(new MetricKey("b", "x", "p", "m"), "r", Response("[[1, 0]]"));
        ledger.OfferTruth(new JoinScope("a", "z"), "r", Truth(0), null);
        ledger.OfferResponse(new MetricKey("a", "y", "p", "m"), "r", Response("[[1, 0]]"));
        Assert.That(Expired(ledger).FiguresAll().Select(f => f.Scope.ToString()), Is.EqualTo(new[] { "a/y", "a/z", "b/x" }));
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
