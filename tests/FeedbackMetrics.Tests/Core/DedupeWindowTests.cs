using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.State;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

public sealed class DedupeWindowTests
{
    private static UInt128 Id(string source, string id, string type = "t") => EventHash.Of(new CloudEventId(source, id, type));

    [Test]
    public void An_id_is_remembered_until_its_time_to_live_passes()
    {
        var time = new FakeTimeProvider();
        var window = new DedupeWindow(TimeSpan.FromHours(1), 100, time);
        var id = Id("s", "1");
        Assert.That(window.TryAdd(id, 1, window.NewExpiry()), Is.True);
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.That(window.TryAdd(id, 2, window.NewExpiry()), Is.False);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.That(window.Contains(id), Is.False);
        Assert.That(window.ForgottenThrough, Is.EqualTo(2), "nothing is remembered: every number seen so far may go");
        Assert.That(window.TryAdd(id, 3, window.NewExpiry()), Is.True);
    }

    [Test]
    public void The_oldest_ids_are_forgotten_past_the_maximum_in_sequence_order()
    {
        var window = new DedupeWindow(TimeSpan.FromHours(1), 3, new FakeTimeProvider());
        for (var i = 0; i < 5; i++)
        {
            window.TryAdd(Id("s", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), i + 1, window.NewExpiry());
        }

        Assert.That(window.Count, Is.EqualTo(3));
        Assert.That(window.Contains(Id("s", "0")), Is.False);
        Assert.That(window.Contains(Id("s", "4")), Is.True);
        Assert.That(window.ForgottenThrough, Is.EqualTo(2), "sequence numbers 1 and 2 are forgotten: their rows go as one range");
    }

    [Test]
    public void Ids_restored_out_of_expiry_order_never_let_a_live_row_be_deleted()
    {
        // A TTL lowered across a restart: rows 1-2 expire late, rows 3-4 (written under the shorter TTL) already expired.
        var time = new FakeTimeProvider();
        var window = new DedupeWindow(TimeSpan.FromHours(1), 100, time);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        window.TryAdd(Id("s", "1"), 1, now + 3_600_000);
        window.TryAdd(Id("s", "2"), 2, now + 3_600_000);
        window.TryAdd(Id("s", "3"), 3, now - 1);
        window.TryAdd(Id("s", "4"), 4, now - 1);

        Assert.That(window.ForgottenThrough, Is.Zero, "rows 1 and 2 are still remembered");
        Assert.That(window.Contains(Id("s", "1")), Is.True);
    }

    [Test]
    public void Same_id_from_another_source_or_of_another_type_is_another_event()
    {
        var window = new DedupeWindow(TimeSpan.FromHours(1), 10, new FakeTimeProvider());
        Assert.That(window.TryAdd(Id("a", "1"), 1, window.NewExpiry()), Is.True);
        Assert.That(window.TryAdd(Id("b", "1"), 2, window.NewExpiry()), Is.True);
        Assert.That(window.TryAdd(Id("a", "1", "org.kubeflow.serving.inference.response"), 3, window.NewExpiry()), Is.True);
    }

    [Test]
    public void Digests_of_triples_that_concatenate_alike_differ()
    {
        Assert.That(Id("ab", "c"), Is.Not.EqualTo(Id("a", "bc")));
        Assert.That(Id("a", "b", "c"), Is.Not.EqualTo(Id("a", "bc", "")));
    }
}
