using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using static FeedbackMetrics.Tests.Core.JoinInputs;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The SQLite store's join while scrapes read the figures from other threads, expiring what falls due as the writer
/// plans and commits groups: no lookup misses an entry whose commit is in flight, nothing is counted twice, and a
/// restart shows the same figures.
/// </summary>
public sealed class SqliteJoinConcurrencyTests
{
    private static readonly MetricKey Key = new("ns", "d", "p", "m");

    private static SqliteFeedbackStore Store(string dir, JoinLedger ledger) => new(
        new MetricsBook(100, 100),
        new DedupeWindow(TimeSpan.FromHours(1), 100_000, TimeProvider.System),
        Microsoft.Extensions.Options.Options.Create(new StateOptions { Dir = dir }),
        Microsoft.Extensions.Options.Options.Create(new ReplyOptions()),
        TimeProvider.System,
        Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()),
        NullLogger<SqliteFeedbackStore>.Instance,
        ledger);

    private static FeedbackEvent ResponseEvent(int i) =>
        new(new CloudEventId("c", $"resp-{i}", "org.kubeflow.serving.inference.response"), Key, JoinPart.NoRows, _ => throw new InvalidOperationException("no reply"))
        {
            Join = new ResponsePart($"r{i}", Response("[[0.6, 0.3, 0.1]]"), (_, _, _) => throw new InvalidOperationException("no reply")),
        };

    private static FeedbackEvent TruthEvent(int i, int round) =>
        new(new CloudEventId("c", $"truth-{i}-{round}", "io.seldon.serving.feedback"), Key, JoinPart.NoRows, _ => throw new InvalidOperationException("no reply"))
        {
            Join = new TruthPart($"r{i}", Truth(round % 3), null, (_, _, _) => new MetricEvent($"m-{i}-{round}", "src", "t", "now", [], [])),
        };

    [Test]
    public async Task Scrapes_expiring_while_groups_commit_neither_lose_entries_nor_count_them_twice()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-join-concurrency", Guid.NewGuid().ToString("N"));
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var limits = new JoinLimits(TimeSpan.FromMinutes(4), 3000);
        var ledger = new JoinLedger(limits, clock, trackChanges: true);
        var store = Store(dir, ledger);
        await store.InitializeAsync(default);

        using var stop = new CancellationTokenSource();
        var scrapes = 0;
        var scraper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                clock.Advance(TimeSpan.FromMilliseconds(1));
                Thread.Yield();
                ledger.FiguresAll();
                Interlocked.Increment(ref scrapes);
            }
        });

        // Responses then, right after each request is acknowledged, truths for them: each must find its response.
        var joined = 0;
        for (var batch = 0; batch < 40; batch++)
        {
            var ids = Enumerable.Range(batch * 100, 100).ToList();
            var pending = store.ApplyAsync([.. ids.Select(ResponseEvent)], default);
            var more = store.ApplyAsync([.. ids.Select(i => ResponseEvent(i + 100_000))], default); // some left to expire or be evicted
            await pending;
            await more;
            var truths = await store.ApplyAsync([.. ids.Where(i => i % 2 == 0).Select(i => TruthEvent(i, batch))], default);
            joined += truths.Count(t => t.Join == JoinAction.Joined);
            Assert.That(truths.Select(t => t.Join), Is.All.EqualTo(JoinAction.Joined).Or.EqualTo(JoinAction.TruthParked), $"batch {batch}");
        }

        await stop.CancelAsync();
        await scraper;
        var figures = ledger.Figures(JoinScope.Of(Key))!;
        var t = figures.Totals;
        TestContext.Progress.WriteLine($"{scrapes} scrapes; {t.ResponsesSeen} responses, {t.Joined} joined, {t.ExpiredResponses} expired, {t.EvictedResponses} evicted, {figures.PendingResponses} pending, {ledger.HeldInMemory} held in memory");
        Assert.Multiple(() =>
        {
            Assert.That(scrapes, Is.GreaterThan(100));
            Assert.That(t.ResponsesSeen, Is.EqualTo(8000));
            Assert.That(t.Joined, Is.EqualTo(joined));
            Assert.That(t.ExpiredResponses + t.EvictedResponses, Is.GreaterThan(0), "entries were forgotten while the groups were written");
            Assert.That(figures.PendingResponses + t.ExpiredResponses + t.EvictedResponses + t.Joined, Is.EqualTo(t.ResponsesSeen), "every response is pending, forgotten or joined, once");
            Assert.That(figures.JoinedHeld + t.ForgottenJoins, Is.EqualTo(t.Joined));
            Assert.That(ledger.Count, Is.EqualTo(figures.PendingResponses + figures.ParkedTruths + figures.JoinedHeld));
        });

        // What a scrape expired after the last group is written with the next one; then a restart shows it all.
        await store.ApplyAsync([ResponseEvent(1_000_000)], default);
        var beforeStop = ledger.Figures(JoinScope.Of(Key));
        await store.DisposeAsync();
        var restartedLedger = new JoinLedger(limits, clock, trackChanges: true);
        await using var restarted = Store(dir, restartedLedger);
        await restarted.InitializeAsync(default);
        Assert.That(restartedLedger.Figures(JoinScope.Of(Key)), Is.EqualTo(beforeStop));
        Assert.That(restartedLedger.Count, Is.EqualTo(ledger.Count));
    }
}
