using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Windows;
using FeedbackMetrics.Server.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The randomized equivalence test of issue 23: the engine behind a store, fed a random stream of requests
/// (<see cref="EquivalenceStream"/>), against a brute-force recomputation from the raw events
/// (<see cref="EquivalenceOracle"/>). After every step each event's outcome, every key's classes, cumulative matrix and
/// window matrices, the join's figures per deployment and the metric events posted must be what the oracle says; a
/// durable store is restarted now and then (gracefully or as after a crash) and must come back the same. Each store
/// joins by deriving from this class and saying how it is opened and stopped.
/// </summary>
public abstract partial class EngineEquivalence
{
    private const int Steps = 500;

    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Two count windows (rows leave last_4 within a few events) and two time windows (1m in 1 s buckets, 1h in 1 min buckets).</summary>
    protected static IReadOnlyList<WindowSpec> Windows { get; } = WindowSpec.ParseList("last_4,last_25,1m,1h");

    /// <summary>Caps small enough to be reached: 5 of the stream's 6 keys, 4 classes, 16 join entries for its 30 request ids.</summary>
    internal static EquivalenceLimits Limits { get; } = new(MaxKeys: 5, MaxClasses: 4, JoinTtl: TimeSpan.FromMinutes(10), JoinCap: 16, IdTtl: TimeSpan.FromMinutes(30), MaxSegmentValues: 2);

    private readonly List<Prometheus.CollectorRegistry> _registries = [];

    /// <summary>The one clock of the engine, the store and its read model.</summary>
    protected FakeTimeProvider Clock { get; private set; } = new(Start);

    /// <summary>True for a store whose state survives a restart: the stream's restarts then happen.</summary>
    protected abstract bool Durable { get; }

    /// <summary>
    /// Whether the engine posts metric events and the test checks they are all in the outbox. A shared log's outbox is
    /// taken over from a stopped replica only after a while (a real-time lease), not at once on a restart.
    /// </summary>
    protected virtual bool PostsReplies => true;

    /// <summary>Opens the store under test over the state named (the same name is the same durable state), not yet initialized.</summary>
    protected abstract OpenedStore Open(string state);

    /// <summary>Called after each step, before a restart: a store may move its own housekeeping on.</summary>
    protected virtual void Stepped(int step)
    {
    }

    /// <summary>Checks (and prints) what only this store can go through; called once a run has passed.</summary>
    protected virtual void AssertCovered(string run)
    {
    }

    /// <summary>Deletes what the state named left behind.</summary>
    protected virtual void Delete(string state)
    {
    }

    /// <summary>A store over the engine and a state log, with this test's limits, windows and clock.</summary>
    protected OpenedStore EngineStoreOver(IStateLog log, Action<bool>? onStop = null)
    {
        var book = new MetricsBook(Limits.MaxKeys, Limits.MaxClasses, Windows, Clock) { MaxSegmentValues = Limits.MaxSegmentValues };
        var join = new JoinBook();
        var state = new EngineState(book, join, new DedupeWindow(Limits.IdTtl, 1_000_000, Clock)) { TrackChanges = log.Durable && !log.Shared };
        var engine = new FeedbackEngine(state, new JoinLimits(Limits.JoinTtl, Limits.JoinCap), Clock) { PostsReplies = PostsReplies };
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _registries.Add(registry);
        var metrics = Prometheus.Metrics.WithCustomRegistry(registry);
        var store = new EngineStore(engine, log, (PostsReplies, 1_000_000), Clock, metrics, NullLogger<EngineStore>.Instance);
        return new OpenedStore(store, book, join, async crash =>
        {
            onStop?.Invoke(crash);
            await store.DisposeAsync();
        });
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    public async Task Every_answer_and_figure_is_what_a_brute_force_recomputation_of_the_raw_events_gives(int seed)
    {
        Clock = new FakeTimeProvider(Start);
        _registries.Clear();
        var stream = new EquivalenceStream(seed);
        var oracle = new EquivalenceOracle(Limits);
        var state = Guid.NewGuid().ToString("N");
        var store = await InitializeAsync(Open(state));
        var history = new List<string>();
        var coverage = new EquivalenceCoverage();
        try
        {
            for (var step = 1; step <= Steps; step++)
            {
                var next = stream.Next();
                Clock.Advance(next.Advance);
                var now = Clock.GetUtcNow();
                history.Add($"step {step}: +{next.Advance.TotalSeconds:0.###} s{(next.Requests.Count > 1 ? ", sent together" : "")}");

                // Sent at once, so a store with a writer may decide them as one group; the oracle takes them in order.
                coverage.Grouped += next.Requests.Count > 1 ? 1 : 0;
                var sent = next.Requests.Select(r => ApplyAsync(store.Store, r)).ToList();
                var answers = await Task.WhenAll(sent);
                for (var i = 0; i < next.Requests.Count; i++)
                {
                    history.Add("  request: " + string.Join("; ", next.Requests[i].Select(Describe)));
                    var context = $"seed {seed}, step {step}, request {i + 1}";
                    var expected = oracle.Decide(next.Requests[i], now);
                    CompareAnswers(expected, answers[i], context);
                    coverage.Add(expected);
                }

                CompareState(oracle, store, now, $"seed {seed}, after step {step}");
                if (next.Reset.Count > 0)
                {
                    history.Add($"  reset {string.Join(", ", next.Reset)}");
                    var existed = await store.Store.ResetAsync([.. next.Reset], CancellationToken.None);
                    Assert.That(existed, Is.EqualTo(oracle.Reset(next.Reset)), $"seed {seed}, step {step}: keys reset that had figures");
                    coverage.Reset(existed);
                    CompareState(oracle, store, now, $"seed {seed}, after the reset of step {step}");
                }

                Stepped(step);
                if (Durable && next.Restart != Restart.None)
                {
                    history.Add($"  restart ({next.Restart})");
                    coverage.Restarted(next.Restart);
                    await store.Stop(next.Restart == Restart.Crash);
                    store = await InitializeAsync(Open(state));
                    CompareState(oracle, store, now, $"seed {seed}, after the restart ({next.Restart}) of step {step}");
                }
            }

            var run = $"{GetType().Name}, seed {seed}";

            // Only a store with a writer (a durable engine store) groups requests; its histogram says whether it did.
            coverage.Report(oracle, run, Durable, Durable && _registries.Count > 0 ? await RequestsDecidedAfterAnotherOfTheirGroupAsync() : null);
            AssertCovered(run);
        }
        catch (AssertionException)
        {
            TestContext.Out.WriteLine(string.Join(Environment.NewLine, history.TakeLast(40)));
            throw;
        }
        finally
        {
            await store.Stop(false);
            Delete(state);
        }
    }

    /// <summary>From the writer's histogram of requests per group (<c>feedback_metrics_store_commit_events</c>): its sum less its count.</summary>
    private async Task<long> RequestsDecidedAfterAnotherOfTheirGroupAsync()
    {
        long extra = 0;
        foreach (var registry in _registries)
        {
            using var text = new MemoryStream();
            await registry.CollectAndExportAsTextAsync(text);
            var lines = System.Text.Encoding.UTF8.GetString(text.ToArray()).Split('\n');
            long Value(string name) => (long)double.Parse(lines.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            extra += Value("feedback_metrics_store_commit_events_sum") - Value("feedback_metrics_store_commit_events_count");
        }

        return extra;
    }

    private static async Task<OpenedStore> InitializeAsync(OpenedStore opened)
    {
        await opened.Store.InitializeAsync(CancellationToken.None);
        return opened;
    }

    /// <summary>A request's results, or its refusal (which a store may throw before returning a task).</summary>
    private static async Task<(ApplyResult[]? Results, InvalidFeedbackException? Refusal)> ApplyAsync(IFeedbackStore store, IReadOnlyList<IngestEvent> request)
    {
        try
        {
            return (await store.ApplyAsync(request, CancellationToken.None), null);
        }
        catch (InvalidFeedbackException refused)
        {
            return (null, refused);
        }
    }

    private static string Describe(IngestEvent e) => e switch
    {
        CountedFeedback f => $"feedback {e.Id.Id}@{e.Id.Source} {e.Key} [{string.Join(", ", f.Feedback.Rows.Select(r => $"{r.Truth.DisplayName}/{r.Predicted.DisplayName}"))}] width {f.Feedback.ClassWidth}{(f.Feedback.Scores is null ? "" : " scored")}",
        LoggedResponse r => $"response {e.Id.Id}@{e.Id.Source} {e.Key} {r.RequestId} [{string.Join(", ", r.Response.Rows.Select(c => c.DisplayName))}] width {r.Response.ClassWidth}{(r.Response.Scores is null ? "" : " scored")}",
        TruthOnly t => $"truth {e.Id.Id}@{e.Id.Source} {e.Key.Namespace}/{e.Key.Deployment} {t.RequestId} [{string.Join(", ", t.Truth.Rows.Select(c => c.DisplayName))}]",
        _ => e.ToString(),
    };
}

/// <summary>A store under test: the seam, its read model, its join figures, and how it stops (true: as after a crash).</summary>
public sealed record OpenedStore(IFeedbackStore Store, MetricsBook Book, IJoinFigures Join, Func<bool, Task> Stop);
