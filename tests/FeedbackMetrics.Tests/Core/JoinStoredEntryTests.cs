using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Tests.Core;

/// <summary>Entries a log puts back as their stored bytes: held in stamp order without being read, each read once, when the join first needs it.</summary>
public sealed class JoinStoredEntryTests
{
    private static readonly JoinScope Scope = new("ns", "d");

    [Test]
    public void An_entry_put_back_as_bytes_is_read_once_when_the_join_first_needs_it()
    {
        var stored = new CountingEntries(3);
        var join = new JoinBook();
        for (var i = 0; i < 3; i++)
        {
            join.Restore(Scope, $"r{i}", stored.Entries[i].Stamp, stored, i, storedAt: 100 + i);
        }

        Assert.Multiple(() =>
        {
            Assert.That((join.Count, join.LastStamp), Is.EqualTo((3, 3L)));
            Assert.That(stored.Reads, Is.Empty, "putting entries back reads none");
        });

        Assert.That(join.TryOldest(out _, out var oldestId, out var oldest), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That((oldestId, oldest), Is.EqualTo(("r0", stored.Entries[0])));
            Assert.That(stored.Reads, Is.EqualTo(new[] { 0 }), "only the oldest was read");
        });

        Assert.That(join.TryGet(Scope, "r0", out var again) && ReferenceEquals(again, oldest), Is.True);
        Assert.That(join.Entries().Select(e => e.Entry), Is.EqualTo(stored.Entries));
        Assert.That(stored.Reads, Is.EqualTo(new[] { 0, 1, 2 }), "each entry read once");
    }

    [Test]
    public void A_step_on_an_entry_never_read_counts_it_as_stored_and_replaces_it()
    {
        var stored = new CountingEntries(2);
        var written = new JoinBook();
        written.Apply(new JoinChanged(Scope, "r0", JoinStep.Parked, stored.Entries[0]));
        written.Apply(new JoinChanged(Scope, "r1", JoinStep.Parked, stored.Entries[1]));
        var join = new JoinBook();
        join.Restore(written.StateOf(Scope)!);
        join.Restore(Scope, "r0", stored.Entries[0].Stamp, stored, 0, storedAt: 100);
        join.Restore(Scope, "r1", stored.Entries[1].Stamp, stored, 1, storedAt: 101);

        // A parked truth forgotten past its TTL: counted from the stored entry, which is read for it.
        join.Apply(new JoinChanged(Scope, "r0", JoinStep.Expired, null));
        var later = stored.Entries[1] with { Stamp = 7 };
        join.Apply(new JoinChanged(Scope, "r1", JoinStep.ParkedReplaced, later));
        Assert.Multiple(() =>
        {
            Assert.That(stored.Reads, Is.EqualTo(new[] { 0, 1 }));
            Assert.That(join.Figures(Scope)!.ParkedTruths, Is.EqualTo(1));
            Assert.That(join.Figures(Scope)!.Totals.ExpiredTruths, Is.EqualTo(1));
            Assert.That(join.TryGet(Scope, "r1", out var now) && ReferenceEquals(now, later), Is.True);
            Assert.That((join.Count, join.LastStamp), Is.EqualTo((1, 7L)));
            Assert.That(join.TakeReleased(), Is.EqualTo(new long[] { 100, 101 }), "both stored versions are released, each once");
        });
    }

    [Test]
    public void Where_a_log_keeps_an_entry_is_handed_back_once_that_version_is_replaced_or_forgotten()
    {
        var stored = new CountingEntries(3);
        var join = new JoinBook();
        join.Apply(new JoinChanged(Scope, "r0", JoinStep.Parked, stored.Entries[0]));
        join.Apply(new JoinChanged(Scope, "r1", JoinStep.Parked, stored.Entries[1]));
        join.MarkStored(Scope, "r0", 7);
        join.Apply(new JoinChanged(Scope, "r1", JoinStep.ParkedReplaced, stored.Entries[2] with { Stamp = 4 }));
        Assert.That(join.TakeReleased(), Is.Empty, "a version never stored releases nothing");

        join.Apply(new JoinChanged(Scope, "r0", JoinStep.ParkedReplaced, stored.Entries[0] with { Stamp = 5 }));
        join.Apply(new JoinChanged(Scope, "r0", JoinStep.Expired, null));
        Assert.Multiple(() =>
        {
            Assert.That(join.TakeReleased(), Is.EqualTo(new long[] { 7 }), "the stored version once; the version after it was never stored");
            Assert.That(join.TakeReleased(), Is.Empty);
        });
    }

    /// <summary>Parked truths stamped 1, 2, …; notes each read.</summary>
    private sealed class CountingEntries(int count) : IStoredEntries
    {
        public RequestEntry[] Entries { get; } = [.. Enumerable.Range(1, count).Select(stamp => new RequestEntry(
            new MetricKey("ns", "d", "p", "m"), null, default, new FeedbackMetrics.Core.Decoding.DecodedTruth([FeedbackMetrics.Core.Decoding.ClassLabel.OfIndex(1)], 3), null, DateTimeOffset.UnixEpoch, default, null, DateTimeOffset.UnixEpoch, stamp))];

        public List<int> Reads { get; } = [];

        public RequestEntry Read(int at)
        {
            Reads.Add(at);
            return Entries[at];
        }
    }
}
