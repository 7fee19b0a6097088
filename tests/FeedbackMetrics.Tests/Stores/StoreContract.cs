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
using FeedbackMetrics.Server.Storage;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// What every store promises behind the seam, run unchanged against each (memory and SQLite here; a shared store
/// later): dedupe by (source, id, type), requests applied all or nothing, limits, reset, restart, concurrent
/// appliers, storage faults, and the outbox.
/// </summary>
public abstract partial class StoreContract
{
    protected const int MaxKeys = 3;
    protected const int MaxClasses = 4;

    private readonly List<IFeedbackStore> _stores = [];

    /// <summary>
    /// A store over the given state (the same name means the same durable state, for restart tests), and the join's
    /// figures as it shows them. Time is <see cref="JoinClock"/>'s.
    /// </summary>
    protected abstract (IFeedbackStore Store, IJoinFigures Join) Create(MetricsBook book, string state, bool outbox);

    /// <summary>A store over the engine and a state log, with this suite's limits and clock.</summary>
    protected (IFeedbackStore Store, IJoinFigures Join) EngineStoreOver(MetricsBook book, IStateLog log, bool outbox)
    {
        var join = new JoinBook();
        var state = new EngineState(book, join, new DedupeWindow(TimeSpan.FromHours(1), 100_000, JoinClock)) { TrackChanges = log.Durable && !log.Shared };
        var engine = new FeedbackEngine(state, JoinLimits, JoinClock) { PostsReplies = outbox };
        var store = new EngineStore(engine, log, (outbox, 1000), JoinClock, Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()), Microsoft.Extensions.Logging.Abstractions.NullLogger<EngineStore>.Instance);
        return (store, join);
    }

    /// <summary>True when the store's figures survive a restart (a new store over the same state).</summary>
    protected abstract bool Durable { get; }

    protected string State { get; private set; } = "";

    [SetUp]
    public void NewState() => State = Guid.NewGuid().ToString("N");

    [TearDown]
    public async Task StopStoresAsync()
    {
        foreach (var store in _stores)
        {
            await store.StopAsync(CancellationToken.None);
            (store as IAsyncDisposable)?.DisposeAsync().AsTask().Wait();
        }

        _stores.Clear();
    }

    protected async Task<(IFeedbackStore Store, MetricsBook Book)> OpenAsync(bool outbox = false, IReadOnlyList<WindowSpec>? windows = null)
    {
        var book = new MetricsBook(MaxKeys, MaxClasses, windows, JoinClock);
        (var store, Join) = Create(book, State, outbox);
        _stores.Add(store);
        await store.InitializeAsync(CancellationToken.None);
        return (store, book);
    }

    protected static CountedFeedback Event(string id, string deployment = "d", int truth = 0, int predicted = 0, string type = "io.seldon.serving.feedback", string source = "s")
    {
        var key = new MetricKey("ns", deployment, "p", "m");
        var feedback = new DecodedFeedback([new Observation(ClassLabel.OfIndex(truth), ClassLabel.OfIndex(predicted))], 0);
        return new CountedFeedback(new CloudEventId(source, id, type), key, feedback, ReplyContext.None);
    }

    /// <summary>The id of the metric event of <see cref="Event"/>'s event of that id.</summary>
    protected static string ReplyId(string id) => FeedbackEngine.ReplyIdOf(EventHash.Of(Event(id).Id));

    protected static long Count(MetricsBook book) => book.SnapshotAll().Sum(s => s.Count);

    [Test]
    public async Task A_redelivered_event_is_a_duplicate_and_the_same_id_of_another_type_is_not()
    {
        var (store, book) = await OpenAsync();
        var first = await store.ApplyAsync([Event("1")], default);
        var again = await store.ApplyAsync([Event("1")], default);
        var otherType = await store.ApplyAsync([Event("1", type: "org.kubeflow.serving.inference.response")], default);
        var otherSource = await store.ApplyAsync([Event("1", source: "http://:8000/")], default);

        Assert.That(
            new[] { first[0].Outcome, again[0].Outcome, otherType[0].Outcome, otherSource[0].Outcome },
            Is.EqualTo(new[] { ApplyOutcome.Applied, ApplyOutcome.Duplicate, ApplyOutcome.Applied, ApplyOutcome.Applied }));
        Assert.That(Count(book), Is.EqualTo(3));
        Assert.That(first[0].Reply, Is.Not.Null);
        Assert.That(again[0].Reply, Is.Null);
    }

    [Test]
    public async Task The_same_event_twice_in_one_request_is_counted_once()
    {
        var (store, book) = await OpenAsync(outbox: true);
        var results = await store.ApplyAsync([Event("1"), Event("2"), Event("1")], default);

        Assert.That(results.Select(r => r.Outcome), Is.EqualTo(new[] { ApplyOutcome.Applied, ApplyOutcome.Applied, ApplyOutcome.Duplicate }));
        Assert.That(Count(book), Is.EqualTo(2));
        Assert.That(store.Outbox.Depth, Is.EqualTo(2));
    }

    [Test]
    public async Task A_request_that_passes_a_limit_midway_changes_nothing()
    {
        var (store, book) = await OpenAsync();
        await store.ApplyAsync([Event("a", "d1"), Event("b", "d2")], default);

        Assert.ThrowsAsync<InvalidFeedbackException>(async () => await store.ApplyAsync([Event("c", "d1"), Event("d", "d3"), Event("e", "d4")], default));

        Assert.That(Count(book), Is.EqualTo(2), "the first event of the refused request is not counted");
        Assert.That(book.KeyCount, Is.EqualTo(2));
        var retried = await store.ApplyAsync([Event("c", "d1")], default);
        Assert.That(retried[0].Outcome, Is.EqualTo(ApplyOutcome.Applied), "its id was not remembered");
    }

    [Test]
    public async Task Of_requests_that_arrive_together_only_the_one_past_a_limit_is_refused_and_each_counted_event_replies_with_its_own_figures()
    {
        var (store, book) = await OpenAsync();
        await store.ApplyAsync([Event("first", truth: MaxClasses - 1)], default);
        const int Requests = 40;
        const int PastTheCap = Requests / 2;

        // Each request holds one new event and a repeat of it; the one at PastTheCap brings a class past the cap.
        var answers = await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => Task.Run(async () =>
        {
            try
            {
                return await store.ApplyAsync([Event($"e{i}", truth: i == PastTheCap ? MaxClasses : i % 2), Event($"e{i}")], default);
            }
            catch (InvalidFeedbackException)
            {
                return null;
            }
        })));

        Assert.That(Enumerable.Range(0, Requests).Where(i => answers[i] is null), Is.EqualTo(new[] { PastTheCap }), "only the request past the cap is refused");
        Assert.That(answers.Where(a => a is not null).Select(a => string.Join(",", a!.Select(r => r.Outcome))).Distinct(), Is.EqualTo(new[] { "Applied,Duplicate" }));
        Assert.That(Count(book), Is.EqualTo(Requests));
        var counts = answers.Where(a => a is not null).Select(a => $"{{\"count\":{a![0].Reply!.Figures.Count}}}").Order(StringComparer.Ordinal).ToList();
        Assert.That(counts, Is.EquivalentTo(Enumerable.Range(2, Requests - 1).Select(n => $"{{\"count\":{n}}}")), "each reply carries the figures right after its own event");
    }

    [Test]
    public async Task Classes_past_the_cap_are_refused()
    {
        var (store, book) = await OpenAsync();
        await store.ApplyAsync([Event("1", truth: 3, predicted: 0)], default);

        var e = Assert.ThrowsAsync<InvalidFeedbackException>(async () => await store.ApplyAsync([Event("2", truth: 4, predicted: 0)], default));

        Assert.That(e!.Kind, Is.EqualTo(RejectionKind.LimitExceeded));
        Assert.That(book.SnapshotAll().Single().Classes, Has.Length.EqualTo(MaxClasses));
    }

    [Test]
    public async Task Reset_forgets_a_key_and_says_how_many_existed()
    {
        var (store, book) = await OpenAsync();
        await store.ApplyAsync([Event("1", "d1"), Event("2", "d2")], default);

        var removed = await store.ResetAsync([new MetricKey("ns", "d1", "p", "m"), new MetricKey("ns", "nope", "p", "m")], default);

        Assert.That(removed, Is.EqualTo(1));
        Assert.That(book.SnapshotAll().Select(s => s.Key.Deployment), Is.EqualTo(new[] { "d2" }));
    }

    [Test]
    public async Task A_restart_brings_back_exactly_what_was_applied_or_nothing_for_a_store_that_is_not_durable()
    {
        var (store, book) = await OpenAsync();
        await store.ApplyAsync([Event("1", truth: 1, predicted: 2), Event("2", "d2")], default);
        var before = book.SnapshotAll().Select(s => (s.Key, string.Join(",", s.Classes), string.Join(",", s.Matrix), s.Count)).ToList();
        await store.StopAsync(CancellationToken.None);

        var (restarted, restoredBook) = await OpenAsync();
        var after = restoredBook.SnapshotAll().Select(s => (s.Key, string.Join(",", s.Classes), string.Join(",", s.Matrix), s.Count)).ToList();
        var redelivered = await restarted.ApplyAsync([Event("1", truth: 1, predicted: 2)], default);

        if (Durable)
        {
            Assert.That(after, Is.EqualTo(before));
            Assert.That(redelivered[0].Outcome, Is.EqualTo(ApplyOutcome.Duplicate));
        }
        else
        {
            Assert.That(after, Is.Empty);
            Assert.That(redelivered[0].Outcome, Is.EqualTo(ApplyOutcome.Applied));
        }
    }

    [Test]
    public async Task Concurrent_appliers_count_every_distinct_event_once()
    {
        var (store, book) = await OpenAsync();
        const int Tasks = 8;
        const int PerTask = 250;

        // Every task sends ids 0..PerTask*2 of its half of the range twice over, overlapping with its neighbour.
        await Parallel.ForEachAsync(Enumerable.Range(0, Tasks), async (t, _) =>
        {
            for (var i = 0; i < PerTask; i++)
            {
                var id = ((t * PerTask / 2) + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await store.ApplyAsync([Event(id, $"d{i % MaxKeys}", i % 2, (i / 2) % 2)], default);
            }
        });

        var distinct = (((Tasks - 1) * PerTask / 2) + PerTask);
        Assert.That(Count(book), Is.EqualTo(distinct));
    }

    [Test]
    public async Task Each_counted_event_puts_its_metric_event_in_the_outbox_in_order()
    {
        var (store, _) = await OpenAsync(outbox: true);
        await store.ApplyAsync([Event("1"), Event("2")], default);
        await store.ApplyAsync([Event("2")], default);

        var taken = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (taken.Count < 2)
        {
            var entry = await store.Outbox.TakeAsync(timeout.Token);
            taken.Add(entry!.Reply!.Id);
            store.Outbox.Delivered(entry);
        }

        Assert.That(taken, Is.EqualTo(new[] { ReplyId("1"), ReplyId("2") }));
        Assert.That(store.Outbox.Depth, Is.Zero, "the duplicate put nothing in the outbox");
    }

    [Test]
    public async Task The_outbox_keeps_nothing_without_a_reply_url()
    {
        var (store, _) = await OpenAsync(outbox: false);
        var result = await store.ApplyAsync([Event("1")], default);

        Assert.That(result[0].Reply, Is.Not.Null, "the metric event is still built for the broker's answer");
        Assert.That((store.Outbox.Enabled, store.Outbox.Depth), Is.EqualTo((false, 0)));
    }
}
