using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

public sealed class WindowsBehaviourTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void A_count_window_holds_exactly_the_last_N_rows()
    {
        var window = new CountWindow(3);
        (int Truth, int Predicted)[] rows = [(0, 0), (0, 1), (1, 1), (1, 0), (2, 2)];
        for (var i = 0; i < rows.Length; i++)
        {
            window.Add(new WindowRow(rows[i].Truth, rows[i].Predicted), i);
        }

        // The last three: (1, 1), (1, 0), (2, 2).
        Assert.That(window.Read(3).Matrix, Is.EqualTo(new long[] { 0, 0, 0, 1, 1, 0, 0, 0, 1 }));
        Assert.That(window.Count, Is.EqualTo(3));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(59_999)]
    [TestCase(30_000)]
    public void A_row_stays_in_a_time_window_for_between_59_and_60_sixtieths_of_its_span(int millisecondsIntoItsMinute)
    {
        var window = new TimeWindow(TimeSpan.FromHours(1), 60);
        var counted = Start.AddMilliseconds(millisecondsIntoItsMinute);
        window.Add(new WindowRow(0, 0), counted);
        Assert.That(window.Read(counted, 1).Count, Is.EqualTo(1));
        Assert.That(window.Read(counted + TimeSpan.FromMinutes(59) - TimeSpan.FromTicks(1), 1).Count, Is.EqualTo(1), "still in before 59 minutes");
        Assert.That(window.Read(counted + TimeSpan.FromHours(1), 1).Count, Is.Zero, "gone after 60 minutes");
    }

    [Test]
    public void A_clock_that_jumps_past_the_span_empties_a_time_window_and_late_rows_are_not_counted()
    {
        var clock = new FakeTimeProvider(Start);
        var set = new WindowSet(WindowSpec.ParseList("5m"), clock);
        var stamp = set.Add(new WindowRow(1, 1));
        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.That(set.Read(2)[0].Count, Is.Zero);

        // Replaying a row stamped before the window starts counts nowhere.
        set.Add(new WindowRow(1, 0), stamp with { Sequence = 5 });
        Assert.That(set.Read(2)[0].Count, Is.Zero);
    }

    [Test]
    public void A_relabel_moves_a_row_in_every_window_it_is_still_in_and_keeps_its_place()
    {
        var clock = new FakeTimeProvider(Start);
        var set = new WindowSet(WindowSpec.ParseList("last_2,1h"), clock);
        var first = set.Add(new WindowRow(0, 0, ScoredRow.Of([0.9, 0.1], 0, 1)));
        clock.Advance(TimeSpan.FromSeconds(1));
        set.Add(new WindowRow(1, 1));

        set.Relabel(first, new WindowRow(0, 0, ScoredRow.Of([0.9, 0.1], 0, 1)), new WindowRow(1, 0, ScoredRow.Of([0.9, 0.1], 1, 1)));
        foreach (var counts in set.Read(2))
        {
            Assert.That(counts.Matrix, Is.EqualTo(new long[] { 0, 0, 1, 1 }));
            Assert.That(counts.Probabilities.ToFigures()!.LogLoss, Is.EqualTo(-Math.Log(0.1)).Within(1e-12));
        }

        // The relabelled row kept sequence 0: one more row pushes it out of last_2, as it would have without the relabel.
        set.Add(new WindowRow(1, 1));
        Assert.That(set.Read(2)[0].Matrix, Is.EqualTo(new long[] { 0, 0, 0, 2 }));
    }

    [Test]
    public void A_relabel_of_a_row_that_has_left_a_window_leaves_that_window_alone()
    {
        var clock = new FakeTimeProvider(Start);
        var set = new WindowSet(WindowSpec.ParseList("last_1,1h"), clock);
        var first = set.Add(new WindowRow(0, 0));
        set.Add(new WindowRow(1, 1));
        set.Relabel(first, new WindowRow(0, 0), new WindowRow(1, 0));
        var read = set.Read(2);
        Assert.That(read[0].Matrix, Is.EqualTo(new long[] { 0, 0, 0, 1 }), "last_1 holds only the second row");
        Assert.That(read[1].Matrix, Is.EqualTo(new long[] { 0, 0, 1, 1 }), "1h moved the first row");
    }

    [Test]
    public void Rebuilding_from_stamps_in_any_order_gives_the_same_windows()
    {
        var random = new Random(7);
        var clock = new FakeTimeProvider(Start);
        var specs = WindowSpec.ParseList("last_50,5m,1h");
        var live = new WindowSet(specs, clock);
        var log = new List<(WindowRow Row, RowStamp Stamp)>();
        for (var i = 0; i < 1000; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(random.Next(0, 10)));
            var (truth, p, predicted) = RandomRows.Next(random, 4);
            var row = new WindowRow(truth, predicted, ScoredRow.Of(p, truth, 3));
            log.Add((row, live.Add(row)));
        }

        var rebuilt = new WindowSet(specs, clock);
        foreach (var (row, stamp) in log.OrderBy(_ => random.Next()))
        {
            rebuilt.Add(row, stamp);
        }

        Assert.That(rebuilt.NextSequence, Is.EqualTo(live.NextSequence));
        var (a, b) = (live.Read(4), rebuilt.Read(4));
        for (var i = 0; i < specs.Count; i++)
        {
            Assert.That(b[i].Matrix, Is.EqualTo(a[i].Matrix), specs[i].Name);
            Assert.That(b[i].Probabilities.LogLossSum, Is.EqualTo(a[i].Probabilities.LogLossSum).Within(1e-9), specs[i].Name);
        }
    }

    [Test]
    public void Windows_follow_a_key_whose_classes_keep_appearing()
    {
        // Positions grow from 0 to 59 over the stream: cell storage starts small, widens and changes form on the way.
        var random = new Random(9);
        var clock = new FakeTimeProvider(Start);
        var set = new WindowSet(WindowSpec.ParseList("last_500,1h"), clock);
        var stream = new List<(int Truth, int Predicted, DateTimeOffset At)>();
        for (var i = 0; i < 6000; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(random.Next(0, 2)));
            var seen = 1 + (i / 100);
            var row = (random.Next(seen), random.Next(seen), clock.GetUtcNow());
            set.Add(new WindowRow(row.Item1, row.Item2));
            stream.Add(row);
        }

        var read = set.Read(60);
        var lastRows = new long[60 * 60];
        foreach (var (truth, predicted, _) in stream.TakeLast(500))
        {
            lastRows[(truth * 60) + predicted]++;
        }

        var lastHour = new long[60 * 60];
        var minute = TimeSpan.FromMinutes(1).Ticks;
        foreach (var (truth, predicted, at) in stream.Where(r => (clock.GetUtcNow().UtcTicks / minute) - (r.At.UtcTicks / minute) < 60))
        {
            lastHour[(truth * 60) + predicted]++;
        }

        Assert.That(read[0].Matrix, Is.EqualTo(lastRows));
        Assert.That(read[1].Matrix, Is.EqualTo(lastHour));
        Assert.That(() => set.Read(59), Throws.TypeOf<ArgumentOutOfRangeException>(), "a read must cover every class the windows hold");
    }

    [Test]
    public void Taking_back_a_row_that_is_not_in_a_window_changes_nothing()
    {
        var time = new TimeWindow(TimeSpan.FromHours(1), 60);
        time.Add(new WindowRow(0, 1), Start);
        Assert.That(time.Remove(new WindowRow(0, 1), Start.AddMinutes(2)), Is.False, "another bucket");
        Assert.That(time.Remove(new WindowRow(1, 1), Start), Is.False, "another cell");
        Assert.That(time.Remove(new WindowRow(0, 1, ScoredRow.Of([0.5, 0.5], 0, 1)), Start), Is.False, "the row had no vector");
        Assert.That(time.Read(Start, 2).Count, Is.EqualTo(1));

        var count = new CountWindow(5);
        count.Add(new WindowRow(0, 1), 10);
        Assert.That(count.Remove(new WindowRow(0, 1), 11), Is.False, "a later sequence");
        Assert.That(count.Remove(new WindowRow(0, 1), 3), Is.False, "an earlier sequence");
        Assert.That(() => count.Remove(new WindowRow(1, 1), 10), Throws.ArgumentException, "the row counted under 10 is (0, 1)");
        Assert.That(count.Count, Is.EqualTo(1));
    }

    [Test]
    public void The_same_sequence_cannot_be_counted_twice()
    {
        var count = new CountWindow(5);
        count.Add(new WindowRow(0, 1), 10);
        Assert.That(() => count.Add(new WindowRow(0, 1), 10), Throws.InvalidOperationException);
    }

    [TestCase(3, false)]
    [TestCase(100, true)]
    [TestCase(3, true)]
    public void Windows_stop_allocating_once_their_buckets_and_ring_are_full(int classes, bool ranked)
    {
        // Memory per key is fixed: after a first full hour, another hour of traffic allocates nothing, save (for
        // probability vectors the windows rank) the rank histograms of each bucket the window moved past giving their
        // room back and the reused slot growing them again: a bounded amount per bucket, whatever the rows. With 100
        // classes the vectors are past the 32 ranked, the cells stay sparse and the last_100 window keeps dropping
        // cells that fell to zero.
        var clock = new FakeTimeProvider(Start);
        var set = new WindowSet(WindowSpec.ParseList(WindowSpec.DefaultList), clock);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 256).Select(_ =>
        {
            var (truth, p, predicted) = RandomRows.Next(random, classes);
            return new WindowRow(truth, predicted, ranked ? ScoredRow.Of(p, truth, TopK.DefaultFor(classes)) : null);
        }).ToArray();

        long OneHour()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 7200; i++)
            {
                clock.Advance(TimeSpan.FromMilliseconds(500));
                set.Add(rows[i % rows.Length]);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        OneHour();
        var allocated = OneHour();
        TestContext.Out.WriteLine($"{classes} classes, ranked {ranked}: another hour allocates {allocated} bytes");
        var histograms = ranked && classes <= 32 ? classes : 0;
        Assert.That(allocated, Is.LessThanOrEqualTo(60 * histograms * 4096), "at most 4 KB a ranked class and bucket");
    }
}
