using System.Text;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Windows;
using Microsoft.Extensions.Time.Testing;
using static FeedbackMetrics.Tests.Core.JoinInputs;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The join behind the seam: response and truth-only events go through the store's ledger; a durable store keeps
/// pending responses, parked truths and joined requests exactly once and across a restart.
/// </summary>
public abstract partial class StoreContract
{
    private static readonly MetricKey ResponseKey = new("ns", "d", "p", "m");

    /// <summary>The truth's own identity: another predictor and model, the same namespace and deployment.</summary>
    private static readonly MetricKey TruthKey = new("ns", "d", "unknown", "unknown");

    protected FakeTimeProvider JoinClock { get; private set; } = new();

    /// <summary>False for a store that keeps no join: the join cases then say so and do not run.</summary>
    protected virtual bool KeepsJoin => true;

    /// <summary>The join's figures as the store under test shows them.</summary>
    protected IJoinFigures Join { get; private set; } = null!;

    protected JoinLimits JoinLimits { get; } = new(TimeSpan.FromHours(1), 1000);

    [SetUp]
    public void NewJoinClock() => JoinClock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Opens the store for a join case; a store that keeps no join is reported as such, not silently passed.</summary>
    private Task<(IFeedbackStore Store, MetricsBook Book)> OpenJoinAsync(bool outbox = false, IReadOnlyList<WindowSpec>? windows = null)
    {
        if (!KeepsJoin)
        {
            Assert.Ignore($"{GetType().Name}: this store keeps no join.");
        }

        return OpenAsync(outbox, windows);
    }

    protected static LoggedResponse ResponseEvent(string id, string requestId, string ndarray, MetricKey? key = null) =>
        new(new CloudEventId("s", id, "org.kubeflow.serving.inference.response"), key ?? ResponseKey, requestId, Response(ndarray), ReplyContext.None);

    protected static TruthOnly TruthEvent(string id, string requestId, params int[] classes) =>
        new(new CloudEventId("s", id, "io.seldon.serving.feedback"), TruthKey, requestId, Truth(classes), 1.5, ReplyContext.None);

    /// <summary>What a join's metric event says of itself: the key it counted under, its rows, the key's count after it.</summary>
    private static string Body(ApplyResult result) =>
        $"{{\"key\":\"{result.Reply!.Figures.Key}\",\"rows\":{result.Reply.Rows.Length},\"count\":{result.Reply.Figures.Count}}}";

    private JoinFigures Figures() => Join.Figures(new JoinScope("ns", "d"))!;

    [Test]
    public async Task A_response_is_kept_and_its_truth_counted_once_under_the_response_key_with_a_metric_event()
    {
        var (store, book) = await OpenJoinAsync();
        var stored = await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.1, 0.7, 0.2]]")], default);
        Assert.Multiple(() =>
        {
            Assert.That(stored[0].Outcome, Is.EqualTo(ApplyOutcome.Applied));
            Assert.That(stored[0].Join, Is.EqualTo(JoinAction.ResponsePending));
            Assert.That(stored[0].Reply, Is.Null);
            Assert.That(Count(book), Is.Zero);
        });

        JoinClock.Advance(TimeSpan.FromMinutes(3));
        var joined = await store.ApplyAsync([TruthEvent("truth", "r1", 1)], default);
        var snapshot = book.SnapshotAll().Single();
        Assert.Multiple(() =>
        {
            Assert.That(joined[0].Join, Is.EqualTo(JoinAction.Joined));
            Assert.That(Body(joined[0]), Is.EqualTo("{\"key\":\"ns/d/p/m\",\"rows\":1,\"count\":1}"));
            Assert.That(snapshot.Key, Is.EqualTo(ResponseKey));
            Assert.That(snapshot.Count, Is.EqualTo(1));
            Assert.That(snapshot.RewardTotal, Is.EqualTo(1.5));
            Assert.That(Figures().Totals.Joined, Is.EqualTo(1));
            Assert.That(Figures().LabelDelay.P50!.Value, Is.EqualTo(180).Within(4.5).Percent);
        });
    }

    [Test]
    public async Task A_redelivered_response_is_a_duplicate_and_makes_no_second_pending_entry()
    {
        var (store, _) = await OpenJoinAsync();
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.1, 0.7, 0.2]]")], default);
        var again = await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.1, 0.7, 0.2]]")], default);
        Assert.Multiple(() =>
        {
            Assert.That(again[0].Outcome, Is.EqualTo(ApplyOutcome.Duplicate));
            Assert.That(Figures().PendingResponses, Is.EqualTo(1));
            Assert.That(Figures().Totals.ResponsesSeen, Is.EqualTo(1));
            Assert.That(Figures().Totals.DuplicateResponses, Is.Zero);
        });
    }

    [Test]
    public async Task A_truth_before_its_response_is_parked_then_counted_with_the_metric_event_for_the_reply_url_only()
    {
        var (store, book) = await OpenJoinAsync(outbox: true);
        var parked = await store.ApplyAsync([TruthEvent("truth", "r1", 2)], default);
        Assert.Multiple(() =>
        {
            Assert.That(parked[0].Join, Is.EqualTo(JoinAction.TruthParked));
            Assert.That(parked[0].Reply, Is.Null);
            Assert.That(store.Outbox.Depth, Is.Zero);
        });

        var joined = await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.1, 0.2, 0.7]]")], default);
        Assert.Multiple(() =>
        {
            Assert.That(joined[0].Join, Is.EqualTo(JoinAction.Joined));
            Assert.That(joined[0].Reply, Is.Null, "the response's sender gets an empty answer");
            Assert.That(store.Outbox.Depth, Is.EqualTo(1), "the metric event goes to the reply URL");
            Assert.That(book.SnapshotAll().Single().Matrix, Is.EqualTo(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 1 }));
        });
    }

    [Test]
    public async Task A_relabel_moves_the_row_in_the_matrix_and_every_window_and_is_counted_as_a_correction()
    {
        var windows = new[] { WindowSpec.Parse("last_10"), WindowSpec.Parse("1h") };
        var (store, book) = await OpenJoinAsync(windows: windows);
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]")], default);
        await store.ApplyAsync([TruthEvent("t1", "r1", 0, 0)], default);
        var relabel = await store.ApplyAsync([TruthEvent("t2", "r1", 0, 2)], default);

        var view = book.ViewAll().Single();
        Assert.Multiple(() =>
        {
            Assert.That(relabel[0].Join, Is.EqualTo(JoinAction.Corrected));
            Assert.That(relabel[0].Reply, Is.Not.Null);
            Assert.That(view.Snapshot.Count, Is.EqualTo(2));
            Assert.That(view.Snapshot.Matrix, Is.EqualTo(new long[] { 1, 0, 0, 0, 0, 0, 0, 0, 1 }));
            Assert.That(Figures().Totals.Corrections, Is.EqualTo(1));
        });
        await AssertWindowsHoldAsync(book, [1, 0, 0, 0, 0, 0, 0, 0, 1]);

        if (Durable)
        {
            await store.StopAsync(CancellationToken.None);
            var (_, restored) = await OpenJoinAsync(windows: windows);
            Assert.That(restored.SnapshotAll().Single().Matrix, Is.EqualTo(new long[] { 1, 0, 0, 0, 0, 0, 0, 0, 1 }));
            await AssertWindowsHoldAsync(restored, [1, 0, 0, 0, 0, 0, 0, 0, 1]);
        }
    }

    [Test]
    public async Task A_relabel_to_a_class_never_seen_adds_the_classes_it_names_and_the_same_after_a_restart()
    {
        var windows = new[] { WindowSpec.Parse("last_10"), WindowSpec.Parse("1h") };
        var (store, book) = await OpenJoinAsync(windows: windows);
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.2]]")], default);
        await store.ApplyAsync([TruthEvent("t1", "r1", 0)], default);
        await store.ApplyAsync([TruthEvent("t2", "r1", 3)], default);
        long[] moved = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
        string[] classes = ["CLASS_0", "CLASS_1", "CLASS_2", "CLASS_3"]; // an index brings in the classes below it
        Assert.Multiple(() =>
        {
            Assert.That(book.SnapshotAll().Single().Classes, Is.EqualTo(classes));
            Assert.That(book.SnapshotAll().Single().Matrix, Is.EqualTo(moved));
        });
        await AssertWindowsHoldAsync(book, moved);

        if (Durable)
        {
            await store.StopAsync(CancellationToken.None);
            var (_, restored) = await OpenJoinAsync(windows: windows);
            Assert.That(restored.SnapshotAll().Single().Classes, Is.EqualTo(classes));
            await AssertWindowsHoldAsync(restored, moved);
        }
    }

    /// <summary>Every window of the key holds the matrix given (rows truth, columns predicted).</summary>
    private static Task AssertWindowsHoldAsync(MetricsBook book, long[] matrix)
    {
        var view = book.ViewAll().Single();
        Assert.That(view.Windows, Has.Length.EqualTo(2));
        for (var w = 0; w < view.Windows.Length; w++)
        {
            Assert.That(view.Windows[w].Matrix, Is.EqualTo(matrix), view.Specs[w].Name);
        }

        return Task.CompletedTask;
    }

    [Test]
    public async Task A_relabel_after_a_restart_moves_the_row_counted_before_it()
    {
        var (store, _) = await OpenJoinAsync();
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.1, 0.1]]")], default);
        await store.ApplyAsync([TruthEvent("t1", "r1", 0)], default);
        await store.StopAsync(CancellationToken.None);

        var (restarted, book) = await OpenJoinAsync();
        var relabel = await restarted.ApplyAsync([TruthEvent("t2", "r1", 1)], default);
        if (Durable)
        {
            Assert.That(relabel[0].Join, Is.EqualTo(JoinAction.Corrected));
            Assert.That(book.SnapshotAll().Single().Matrix, Is.EqualTo(new long[] { 0, 0, 0, 1, 0, 0, 0, 0, 0 }));
        }
        else
        {
            Assert.That(relabel[0].Join, Is.EqualTo(JoinAction.TruthParked));
            Assert.That(Count(book), Is.Zero);
        }
    }

    [Test]
    public async Task A_row_count_mismatch_refuses_the_whole_request_and_changes_nothing()
    {
        var (store, book) = await OpenJoinAsync();
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.1, 0.1], [0.1, 0.8, 0.1]]"), ResponseEvent("resp2", "r2", "[[0.8, 0.2]]")], default);
        var refusal = Assert.ThrowsAsync<InvalidFeedbackException>(async () =>
            await store.ApplyAsync([Event("full"), TruthEvent("t0", "r2", 1), TruthEvent("t1", "r1", 0)], default));
        Assert.Multiple(() =>
        {
            Assert.That(refusal!.Message, Does.Contain("truth has 1 rows but response has 2").And.Contain("t1"));
            Assert.That(Count(book), Is.Zero);
            Assert.That(Figures().PendingResponses, Is.EqualTo(2));
            Assert.That(Figures().Totals.Joined, Is.Zero);
        });

        var retried = await store.ApplyAsync([Event("full"), TruthEvent("t0", "r2", 1), TruthEvent("t1", "r1", 0, 1)], default);
        Assert.Multiple(() =>
        {
            Assert.That(retried.Select(r => r.Outcome), Is.All.EqualTo(ApplyOutcome.Applied));
            Assert.That(Count(book), Is.EqualTo(4));
            Assert.That(Figures().Totals.Joined, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Of_truths_that_arrive_together_only_the_one_whose_rows_do_not_match_is_refused()
    {
        var (store, book) = await OpenJoinAsync();
        const int Requests = 30;
        const int Mismatched = Requests / 3;
        await store.ApplyAsync([.. Enumerable.Range(0, Requests).Select(i => ResponseEvent($"resp{i}", $"r{i}", "[[0.8, 0.1, 0.1]]"))], default);

        var answers = await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => Task.Run(async () =>
        {
            try
            {
                return await store.ApplyAsync([i == Mismatched ? TruthEvent($"t{i}", $"r{i}", 0, 1) : TruthEvent($"t{i}", $"r{i}", i % 3)], default);
            }
            catch (InvalidFeedbackException e)
            {
                Assert.That(e.Message, Does.Contain("truth has 2 rows but response has 1"));
                return null;
            }
        })));

        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(0, Requests).Where(i => answers[i] is null), Is.EqualTo(new[] { Mismatched }));
            Assert.That(answers.Where(a => a is not null).Select(a => a![0].Join), Is.All.EqualTo(JoinAction.Joined));
            Assert.That(Count(book), Is.EqualTo(Requests - 1));
            Assert.That(Figures().Totals.Joined, Is.EqualTo(Requests - 1));
            Assert.That(Figures().PendingResponses, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Pending_responses_and_parked_truths_survive_a_restart_in_a_durable_store()
    {
        var (store, _) = await OpenJoinAsync();
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.1, 0.1]]"), TruthEvent("t2", "r2", 2)], default);
        await store.StopAsync(CancellationToken.None);

        var (restarted, book) = await OpenJoinAsync();
        if (!Durable)
        {
            Assert.That(Join.Figures(new JoinScope("ns", "d")), Is.Null);
            return;
        }

        Assert.Multiple(() =>
        {
            Assert.That(Figures().PendingResponses, Is.EqualTo(1));
            Assert.That(Figures().ParkedTruths, Is.EqualTo(1));
        });
        var redelivered = await restarted.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.1, 0.1]]")], default);
        var joinedTruth = await restarted.ApplyAsync([TruthEvent("t1", "r1", 0)], default);
        var joinedResponse = await restarted.ApplyAsync([ResponseEvent("resp2", "r2", "[[0.1, 0.1, 0.8]]")], default);
        Assert.Multiple(() =>
        {
            Assert.That(redelivered[0].Outcome, Is.EqualTo(ApplyOutcome.Duplicate));
            Assert.That(joinedTruth[0].Join, Is.EqualTo(JoinAction.Joined));
            Assert.That(joinedResponse[0].Join, Is.EqualTo(JoinAction.Joined));
            Assert.That(Count(book), Is.EqualTo(2));
            Assert.That(Figures().PendingResponses + Figures().ParkedTruths, Is.Zero);
        });
    }

    [Test]
    public async Task Resetting_a_key_forgets_its_pending_responses()
    {
        var (store, book) = await OpenJoinAsync();
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.1, 0.1]]"), ResponseEvent("resp2", "r2", "[[0.8, 0.1, 0.1]]")], default);
        await store.ApplyAsync([TruthEvent("t1", "r1", 0)], default);
        Assert.That(await store.ResetAsync([ResponseKey], default), Is.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(Figures().PendingResponses, Is.Zero);
            Assert.That(Figures().JoinedHeld, Is.Zero);
        });

        var late = await store.ApplyAsync([TruthEvent("t2", "r2", 0)], default);
        Assert.Multiple(() =>
        {
            Assert.That(late[0].Join, Is.EqualTo(JoinAction.TruthParked));
            Assert.That(Count(book), Is.Zero);
        });
    }

    /// <summary>
    /// A second truth for a request joined before its model was reset: the rows it would move are gone with the model's
    /// counts, so it is no correction (the stores once disagreed here); it is parked as a new truth, counts nothing, and a
    /// restart of a durable store keeps it so.
    /// </summary>
    [Test]
    public async Task A_truth_for_a_request_joined_before_its_model_was_reset_is_parked_as_new_and_corrects_nothing()
    {
        var (store, book) = await OpenJoinAsync();
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.8, 0.1, 0.1]]")], default);
        await store.ApplyAsync([TruthEvent("t1", "r1", 0)], default);
        await store.ResetAsync([ResponseKey], default);

        var relabel = await store.ApplyAsync([TruthEvent("t2", "r1", 2)], default);
        Assert.Multiple(() =>
        {
            Assert.That(relabel[0].Join, Is.EqualTo(JoinAction.TruthParked));
            Assert.That(relabel[0].Reply, Is.Null);
            Assert.That(Count(book), Is.Zero, "nothing moved, nothing counted");
            Assert.That(book.SnapshotAll(), Is.Empty, "the model stays reset");
            Assert.That((Figures().Totals.Corrections, Figures().ParkedTruths, Figures().JoinedHeld), Is.EqualTo((0L, 1L, 0L)));
        });

        if (Durable)
        {
            await store.StopAsync(CancellationToken.None);
            var (restarted, restored) = await OpenJoinAsync();
            var joined = await restarted.ApplyAsync([ResponseEvent("resp-again", "r1", "[[0.1, 0.1, 0.8]]")], default);
            Assert.Multiple(() =>
            {
                Assert.That(joined[0].Join, Is.EqualTo(JoinAction.Joined), "a new response meets the parked truth");
                Assert.That(restored.SnapshotAll().Single().Matrix, Is.EqualTo(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 1 }), "counted once, with the new truth");
            });
        }
    }
}
