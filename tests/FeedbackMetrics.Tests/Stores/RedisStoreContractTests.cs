using System.Text;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using FeedbackMetrics.Server.Storage.Redis;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The store contract on the Redis store against a real redis-server; each test's state is a key prefix of its own, so
/// "the same state" (a restart) is a new store over the same prefix.
/// </summary>
[Category("Redis")]
public sealed class RedisStoreContractTests : StoreContract
{
    private RedisServer? _redis;

    protected override bool Durable => true;

    [OneTimeSetUp]
    public async Task StartRedisAsync() => _redis = await RedisServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedisAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    protected override (IFeedbackStore Store, IJoinFigures Join) Create(MetricsBook book, string state, bool outbox) =>
        EngineStoreOver(book, RedisStores.Log(_redis!.Url, state, outbox), outbox);

    [Test]
    public async Task Three_replicas_with_an_outbox_counting_into_one_model_at_once_are_never_refused_and_write_one_metric_event_per_counted_event()
    {
        // With an outbox, a call whose metric events were worked out from a state another replica has moved since
        // is answered "stale" and sent again; three replicas writing one model at once must still all get through.
        var replicas = new[] { await OpenAsync(outbox: true), await OpenAsync(outbox: true), await OpenAsync(outbox: true) };
        const int TasksPerReplica = 4;
        const int PerTask = 60;
        await Task.WhenAll(
            from r in Enumerable.Range(0, replicas.Length)
            from t in Enumerable.Range(0, TasksPerReplica)
            select Task.Run(async () =>
            {
                for (var i = 0; i < PerTask; i++)
                {
                    await replicas[r].Store.ApplyAsync([Event($"{r}-{t}-{i}", truth: i % 2)], default);
                }
            }));

        const int Total = 3 * TasksPerReplica * PerTask;
        Assert.That(replicas.Sum(r => r.Store.Outbox.Depth), Is.EqualTo(Total), "every counted event's metric event is in some replica's outbox");
        var (_, fresh) = await OpenAsync();
        Assert.That(Count(fresh), Is.EqualTo(Total));
    }

    [Test]
    public async Task Two_replicas_deciding_the_same_requests_across_deployments_at_once_count_each_event_once()
    {
        // Each request spans two deployments (two logs); both replicas get every request at once (the broker's
        // redelivery racing the first delivery), so commits keep landing for one deployment and being refused for the
        // other: the committed part stays, the rest is decided again.
        var replicas = new[] { await OpenAsync(), await OpenAsync() };
        const int Requests = 90;
        string[] deployments = ["d", "d2", "d3"];
        var answers = await Task.WhenAll(
            from i in Enumerable.Range(0, Requests)
            from r in new[] { 0, 1 }
            select Task.Run(async () =>
            {
                IngestEvent[] request = [Event($"a{i}", deployments[i % 3]), Event($"b{i}", deployments[(i + 1) % 3])];
                var results = await replicas[(i + r) % 2].Store.ApplyAsync(request, default);
                return request.Zip(results, (e, a) => (e.Id.Id, a.Outcome));
            }));

        var applied = answers.SelectMany(a => a).Where(a => a.Outcome == ApplyOutcome.Applied).GroupBy(a => a.Id).ToList();
        Assert.That(applied.Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "no event is answered counted by both replicas");
        var (_, fresh) = await OpenAsync();
        Assert.That(Count(fresh), Is.EqualTo(2 * Requests), "every event counted exactly once");
        Assert.That(Count(replicas[0].Book) + Count(replicas[1].Book), Is.LessThanOrEqualTo(4 * Requests));
    }

    [Test]
    public async Task Redis_going_away_refuses_with_storage_unavailable_then_the_store_recovers_by_itself()
    {
        var (store, book) = await OpenAsync();
        await store.ApplyAsync([Event("before")], default);

        await _redis!.KillAsync();
        Assert.ThrowsAsync<StorageUnavailableException>(async () => await store.ApplyAsync([Event("during")], default));
        Assert.That(store.Unavailable, Is.Not.Null);
        Assert.That(Count(book), Is.EqualTo(1), "the read model keeps what was counted");

        await _redis.StartAgainAsync();
        for (var i = 0; i < 200 && store.Unavailable is not null; i++)
        {
            await Task.Delay(50);
        }

        Assert.That(store.Unavailable, Is.Null, "the store finds Redis back by itself");
        var retried = await ApplyAsABrokerWouldAsync(store, [Event("during"), Event("before")]);
        Assert.That(retried.Select(r => r.Outcome), Is.EqualTo(new[] { ApplyOutcome.Applied, ApplyOutcome.Duplicate }), "what was acknowledged before survived the Redis restart");
        Assert.That(Count(book), Is.EqualTo(2));
    }

    [Test]
    public async Task When_redis_comes_back_without_its_data_the_store_shows_the_new_state_not_the_lost_one()
    {
        var (store, book) = await OpenAsync();
        await store.ApplyAsync([Event("1"), Event("2"), Event("3")], default);

        await _redis!.KillAsync();
        _redis.WipeData();
        await _redis.StartAgainAsync();
        for (var i = 0; i < 200 && store.Unavailable is not null; i++)
        {
            await Task.Delay(50);
        }

        var again = await ApplyAsABrokerWouldAsync(store, [Event("4")]);
        for (var i = 0; i < 100 && Count(book) != 1; i++)
        {
            await Task.Delay(50);
        }

        Assert.That(again[0].Outcome, Is.EqualTo(ApplyOutcome.Applied));
        Assert.That(Count(book), Is.EqualTo(1), "the figures are those Redis holds now, not those it lost");
    }

    /// <summary>
    /// Applies as a broker delivers: a 503 (storage unavailable) is retried. Just after Redis comes back the client
    /// library may still be reconnecting one of its connections, so the first request can be refused though a refresh
    /// already found Redis; what the contract asks is that the store recovers by itself, not that no request is refused.
    /// </summary>
    private static async Task<ApplyResult[]> ApplyAsABrokerWouldAsync(IFeedbackStore store, IngestEvent[] events)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await store.ApplyAsync(events, default);
            }
            catch (StorageUnavailableException) when (attempt < 100)
            {
                await Task.Delay(50);
            }
        }
    }

    [Test]
    public async Task A_second_store_on_the_same_redis_sees_what_the_first_counted_and_its_redeliveries_are_duplicates()
    {
        var (first, firstBook) = await OpenAsync();
        var (second, secondBook) = await OpenAsync();
        await first.ApplyAsync([Event("1", truth: 1, predicted: 2), Event("2", "d2")], default);

        var redelivered = await second.ApplyAsync([Event("1", truth: 1, predicted: 2), Event("3", truth: 2, predicted: 2)], default);

        Assert.That(redelivered.Select(r => r.Outcome), Is.EqualTo(new[] { ApplyOutcome.Duplicate, ApplyOutcome.Applied }));
        Assert.That(redelivered[1].Reply!.Figures.Count, Is.EqualTo(2), "the metric event carries the global figures right after the event");
        // Each store reads back at its next refresh what the other counted (the second has not seen d2 until then).
        for (var i = 0; i < 100 && (Count(firstBook) != 3 || Count(secondBook) != 3); i++)
        {
            await Task.Delay(50);
        }

        var a = firstBook.SnapshotAll().Select(s => (s.Key, string.Join(",", s.Classes), string.Join(",", s.Matrix))).ToList();
        var b = secondBook.SnapshotAll().Select(s => (s.Key, string.Join(",", s.Classes), string.Join(",", s.Matrix))).ToList();
        Assert.That(Count(firstBook), Is.EqualTo(3), "the first store read back what the second counted");
        Assert.That(a, Is.EqualTo(b), "both show the same classes in the same order and the same cells");
    }

    [Test]
    public async Task Two_stores_show_the_windows_and_probabilistic_figures_of_every_row_as_one_read_model_counting_them_all()
    {
        WindowSpec[] windows = [WindowSpec.Parse("last_5"), WindowSpec.Parse("1h"), WindowSpec.Parse("5m")];
        var (first, firstBook) = await OpenAsync(windows: windows);
        var (second, secondBook) = await OpenAsync(windows: windows);
        var reference = new MetricsBook(MaxKeys, MaxClasses, windows, JoinClock);
        var random = new Random(7);
        for (var i = 0; i < 40; i++)
        {
            var e = ScoredEvent($"scored-{i}", random);
            reference.Apply(e.Key, e.Feedback);
            var result = await (i % 2 == 0 ? first : second).ApplyAsync([e], default);
            Assert.That(result[0].Outcome, Is.EqualTo(ApplyOutcome.Applied));
        }

        var expected = Shown(reference);
        for (var i = 0; i < 100 && (Shown(firstBook) != expected || Shown(secondBook) != expected); i++)
        {
            await Task.Delay(50);
        }

        Assert.That(Shown(firstBook), Is.EqualTo(expected), "the first store, which counted half the rows");
        Assert.That(Shown(secondBook), Is.EqualTo(expected), "the second store, which counted the other half");
        Assert.That(expected, Does.Contain("last_5 5 "), "the count window holds its last 5 rows, not all 40");

        // A restarted store reads the same back.
        await first.StopAsync(CancellationToken.None);
        await second.StopAsync(CancellationToken.None);
        var (_, restored) = await OpenAsync(windows: windows);
        Assert.That(Shown(restored), Is.EqualTo(expected));
    }

    /// <summary>A feedback event whose response carried a probability vector over three classes (prediction: its top class).</summary>
    private static CountedFeedback ScoredEvent(string id, Random random)
    {
        var p = new[] { random.NextDouble(), random.NextDouble(), random.NextDouble() };
        var sum = p.Sum();
        p = [p[0] / sum, p[1] / sum, 1 - (p[0] / sum) - (p[1] / sum)];
        var predicted = Array.IndexOf(p, p.Max());
        var truth = random.Next(3);
        var feedback = new DecodedFeedback([new Observation(ClassLabel.OfIndex(truth), ClassLabel.OfIndex(predicted))], 3, Scores: new ScoreRows(p, 3));
        return new CountedFeedback(new CloudEventId("s", id, "io.seldon.serving.feedback"), new MetricKey("ns", "scored", "p", "m"), feedback, ReplyContext.None);
    }

    /// <summary>Each model's cumulative and window figures as text: counts, matrices, probabilistic figures to 9 decimals.</summary>
    private static string Shown(MetricsBook book) => string.Join('\n', book.ViewAll().OrderBy(v => v.Snapshot.Key.ToString()).Select(view =>
    {
        var figures = view.Figures();
        return string.Join(" | ", new[] { ("all", figures.All) }.Concat(figures.Windows.Select(w => (w.Key, w.Value))).Select(f =>
            $"{f.Item1} {f.Item2.Count} {string.Join(",", f.Item2.ConfusionMatrix.SelectMany(r => r))} {Probabilistic(f.Item2.Probabilistic)}"));
    }));

    private static string Probabilistic(ProbabilisticFigures? p) => p is null ? "-" : string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{p.Count} {p.LogLoss:F9} {p.Brier:F9} {p.Ece:F9} {p.TopK.K}:{p.TopK.Accuracy:F9} {string.Join(";", p.Calibration.Select(b => $"{b.Count}:{b.Confidence:F9}:{b.Accuracy:F9}"))}");

    [Test]
    public async Task A_replica_behind_a_log_trimmed_by_a_snapshot_loads_the_state_again_and_counts_on()
    {
        var (writer, writerBook) = (await OpenAsync()) is var w ? (w.Store, w.Book) : default;
        var laggingBook = new MetricsBook(MaxKeys, MaxClasses, null, JoinClock);
        var (lagging, _) = RedisStores.Create(laggingBook, _redis!.Url, State, outbox: false, refresh: TimeSpan.FromHours(1), time: JoinClock);
        await lagging.InitializeAsync(default);
        await writer.ApplyAsync([Event("1"), Event("2", "d2")], default);

        // A graceful stop of the lease holder writes a snapshot and trims the log the lagging replica has not read.
        await writer.StopAsync(default);
        Assert.That(_redis.Cli("XLEN", $"{{test-{State}/ns/d}}:log").Trim(), Is.EqualTo("0"), "each deployment's log is trimmed behind the snapshot");
        Assert.That(_redis.Cli("XLEN", $"{{test-{State}/ns/d2}}:log").Trim(), Is.EqualTo("0"));
        var generation = _redis.Cli("HGET", $"{{test-{State}}}:head", "snapshot").Trim();
        Assert.That(_redis.Cli("HGETALL", $"{{test-{State}}}:snapshot:{generation}:through").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(), Is.EqualTo(new[] { "1", "1", "ns/d", "ns/d2" }), "the snapshot holds change set 1 of each deployment");

        var answers = await lagging.ApplyAsync([Event("3"), Event("1")], default);
        Assert.That(answers.Select(a => a.Outcome), Is.EqualTo(new[] { ApplyOutcome.Applied, ApplyOutcome.Duplicate }), "decided on the state loaded again");
        Assert.That((Count(laggingBook), laggingBook.KeyCount), Is.EqualTo((3L, 2)));
        Assert.That(Count(writerBook), Is.EqualTo(2));
        await lagging.DisposeAsync();
    }

    [Test]
    public async Task A_replica_loading_from_redis_gets_every_model_s_classes_in_the_order_the_counting_replica_shows()
    {
        var key = new MetricKey("ns", "named", "p", "m");
        var random = new Random(7);
        string[] names = ["cat", "dog", "CLASS_2", "bird"];
        var events = new List<IngestEvent>();
        for (var i = 0; i < 40; i++)
        {
            ClassLabel Label() => random.Next(3) == 0 ? ClassLabel.OfName(names[random.Next(names.Length)]) : ClassLabel.OfIndex(random.Next(5));
            var rows = Enumerable.Range(0, random.Next(1, 4)).Select(_ => new Observation(Label(), Label())).ToArray();
            var feedback = new DecodedFeedback(rows, random.Next(3) == 0 ? random.Next(1, 4) : 0);
            events.Add(new CountedFeedback(new CloudEventId("s", $"named-{i}", "t"), key, feedback, ReplyContext.None));
        }

        var book = new MetricsBook(MaxKeys, 20);
        var (store, _) = RedisStores.Create(book, _redis!.Url, State, outbox: false);
        await store.InitializeAsync(default);
        for (var i = 0; i < events.Count; i += 3)
        {
            await store.ApplyAsync(events.Skip(i).Take(3).ToList(), default);
        }

        var loaded = new MetricsBook(MaxKeys, 20);
        var (reader, _) = RedisStores.Create(loaded, _redis!.Url, State, outbox: false);
        await reader.InitializeAsync(default);
        var shown = book.SnapshotAll().Single();
        var read = loaded.SnapshotAll().Single();
        await store.DisposeAsync();
        await reader.DisposeAsync();

        Assert.That(shown.Classes, Has.Length.GreaterThan(5), "the events brought named and numbered classes");
        Assert.That(read.Classes, Is.EqualTo(shown.Classes), "one class order on every replica");
        Assert.That(read.Matrix, Is.EqualTo(shown.Matrix));
    }

    [Test]
    public async Task Metric_events_a_stopped_replica_held_are_taken_over_by_a_live_one_and_deleted_once_delivered()
    {
        var (first, _) = await OpenAsync(outbox: true);
        await first.ApplyAsync([Event("1"), Event("2")], default);
        await first.StopAsync(default); // never delivered: the entries stay with its consumer, as after a crash

        var (second, _) = await OpenAsync(outbox: true);
        ((RedisOutbox)second.Outbox).ClaimAfter = TimeSpan.FromMilliseconds(300);
        var taken = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (taken.Count < 2)
        {
            var entry = await second.Outbox.TakeAsync(timeout.Token);
            taken.Add(entry!.Reply?.Id ?? entry.Built!.Id);
            second.Outbox.Delivered(entry);
        }

        Assert.That(taken, Is.EqualTo(new[] { ReplyId("1"), ReplyId("2") }));
        for (var i = 0; i < 100 && _redis!.Cli("XLEN", $"{{test-{State}/ns/d}}:outbox").Trim() != "0"; i++)
        {
            await Task.Delay(50);
        }

        Assert.That(_redis!.Cli("XLEN", $"{{test-{State}/ns/d}}:outbox").Trim(), Is.EqualTo("0"), "delivered metric events leave the outbox");
    }

    [Test]
    public async Task Two_replicas_counting_one_model_at_once_write_each_metric_event_with_its_count_and_the_figures_right_after_it()
    {
        var (first, _) = await OpenAsync(outbox: true);
        var (second, _) = await OpenAsync(outbox: true);
        const int Events = 60;
        var answers = await Task.WhenAll(Enumerable.Range(0, Events).Select(i => Task.Run(async () =>
            (await (i % 2 == 0 ? first : second).ApplyAsync([Event($"e{i}")], default))[0])));
        var redelivered = await first.ApplyAsync([Event("e0"), Event("e1"), Event("e2")], default);

        Assert.That(redelivered.Select(r => r.Outcome), Is.All.EqualTo(ApplyOutcome.Duplicate));
        Assert.That(answers.Select(a => CountIn(a.Reply!)).Order(), Is.EqualTo(Enumerable.Range(1, Events)), "each answer carries the figures right after its event, whichever replica counted the one before");
        Assert.That(_redis!.Cli("XLEN", $"{{test-{State}/ns/d}}:outbox").Trim(), Is.EqualTo(Events.ToString(System.Globalization.CultureInfo.InvariantCulture)), "one outbox entry per counted event, none for the duplicates");

        var queued = new List<int>();
        foreach (var store in new[] { first, second })
        {
            while (store.Outbox.Depth > 0)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var entry = await store.Outbox.TakeAsync(timeout.Token);
                queued.Add(CountIn(entry!));
                store.Outbox.Delivered(entry!);
            }
        }

        Assert.That(queued.Order(), Is.EqualTo(Enumerable.Range(1, Events)), "the outbox holds the very metric events the answers carried");
    }

    private static int CountIn(MetricReply reply) => (int)reply.Figures.Count;

    /// <summary>The count an outbox entry reports: of its data, or of the metric event another replica wrote (the summary's count).</summary>
    private static int CountIn(OutboxEntry entry) => entry.Reply is { } reply
        ? CountIn(reply)
        : System.Text.Json.JsonDocument.Parse(entry.Built!.Body).RootElement.GetProperty("summary").GetProperty("count").GetInt32();

    [Test]
    public async Task A_live_replica_keeps_the_metric_events_it_holds_however_long_their_delivery_takes()
    {
        var (holder, _) = await OpenAsync(outbox: true);
        ((RedisOutbox)holder.Outbox).ClaimAfter = TimeSpan.FromMilliseconds(600);
        await holder.ApplyAsync([Event("1")], default);
        var (other, _) = await OpenAsync(outbox: true);
        ((RedisOutbox)other.Outbox).ClaimAfter = TimeSpan.FromMilliseconds(600);

        await Task.Delay(2000);

        Assert.That((holder.Outbox.Depth, other.Outbox.Depth), Is.EqualTo((1, 0)), "the holder kept its entry fresh; nobody took it over");
    }

    [Test]
    public async Task Entries_past_the_join_ttl_are_forgotten_by_the_sweep_counted_and_a_pending_response_leaves_the_estimate()
    {
        var (store, _) = await OpenAsync();
        var scope = new JoinScope("ns", "d");
        await store.ApplyAsync([ResponseEvent("resp", "r1", "[[0.1, 0.7, 0.2]]"), TruthEvent("t2", "r2", 1)], default);
        Assert.That((Join.Figures(scope)!.PendingResponses, Join.Figures(scope)!.ParkedTruths, Join.Figures(scope)!.Estimated.PendingRows), Is.EqualTo((1L, 1L, 1L)));

        JoinClock.Advance(JoinLimits.Ttl);
        for (var i = 0; i < 100 && Join.Figures(scope)!.Totals.Expired < 2; i++)
        {
            await Task.Delay(50);
        }

        var figures = Join.Figures(scope)!;
        Assert.Multiple(() =>
        {
            Assert.That((figures.Totals.ExpiredResponses, figures.Totals.ExpiredTruths), Is.EqualTo((1L, 1L)), "forgotten by a replica's sweep, counted");
            Assert.That((figures.PendingResponses, figures.ParkedTruths), Is.EqualTo((0L, 0L)));
            Assert.That((figures.Estimated.PendingRows, figures.Estimated.Accuracy), Is.EqualTo((0L, (double?)null)), "the expired response's row left the estimate");
        });
        var late = await store.ApplyAsync([TruthEvent("t1", "r1", 1)], default);
        Assert.That(late[0].Join, Is.EqualTo(JoinAction.TruthParked), "a truth after its response expired is parked as new");
    }

    [Test]
    public async Task Past_the_cap_the_entries_changed_longest_ago_are_forgotten_first_and_counted()
    {
        var book = new MetricsBook(MaxKeys, MaxClasses);
        var (store, ledger) = RedisStores.Create(book, _redis!.Url, State, outbox: false, limits: new JoinLimits(TimeSpan.FromHours(1), 2), time: JoinClock);
        await using var _ = store;
        await store.InitializeAsync(default);
        foreach (var r in new[] { "r1", "r2", "r3" })
        {
            await store.ApplyAsync([ResponseEvent("resp-" + r, r, "[[0.8, 0.2]]")], default);
            JoinClock.Advance(TimeSpan.FromSeconds(1));
        }

        var figures = ledger.Figures(new JoinScope("ns", "d"))!;
        Assert.That((figures.PendingResponses, figures.Totals.EvictedResponses), Is.EqualTo((2L, 1L)));
        var first = await store.ApplyAsync([TruthEvent("t1", "r1", 0)], default);
        var last = await store.ApplyAsync([TruthEvent("t3", "r3", 0)], default);
        Assert.That((first[0].Join, last[0].Join), Is.EqualTo((JoinAction.TruthParked, JoinAction.Joined)), "r1 went first; r3 was kept");
    }

    [Test]
    public async Task Two_stores_taking_each_request_s_response_and_truth_at_once_join_every_request_once()
    {
        var (first, firstBook) = await OpenAsync();
        var firstJoin = Join;
        var (second, secondBook) = await OpenAsync();
        const int Requests = 100;
        await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var r = $"r{i}";
            await Task.WhenAll(
                first.ApplyAsync([ResponseEvent("resp-" + r, r, "[[0.8, 0.2]]")], default).AsTask(),
                second.ApplyAsync([TruthEvent("t-" + r, r, i % 2)], default).AsTask());
        });

        // A refresh reads the models, then the join's sums: wait for both on both stores.
        var scope = new JoinScope("ns", "d");
        for (var i = 0; i < 100 && (Count(firstBook), Count(secondBook), firstJoin.Figures(scope)?.Totals.Joined, Join.Figures(scope)?.Totals.Joined) != (Requests, Requests, Requests, Requests); i++)
        {
            await Task.Delay(50);
        }

        Assert.Multiple(() =>
        {
            Assert.That((Count(firstBook), Count(secondBook)), Is.EqualTo((Requests, Requests)), "each request counted once, on both");
            Assert.That(firstJoin.Figures(scope)!.Totals.Joined, Is.EqualTo(Requests));
            Assert.That(Join.Figures(scope)!.Totals.Joined, Is.EqualTo(Requests));
            Assert.That((Join.Figures(scope)!.PendingResponses, Join.Figures(scope)!.ParkedTruths), Is.EqualTo((0L, 0L)));
        });
    }
}
