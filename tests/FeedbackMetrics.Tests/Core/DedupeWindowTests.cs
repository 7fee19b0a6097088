using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.State;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

public sealed class DedupeWindowTests
{
    [Test]
    public void An_id_is_remembered_until_its_time_to_live_passes()
    {
        var time = new FakeTimeProvider();
        var window = new DedupeWindow(TimeSpan.FromHours(1), 100, time);
        var id = new CloudEventId("s", "1");
        Assert.That(window.TryAdd(id), Is.True);
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.That(window.TryAdd(id), Is.False);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.That(window.Contains(id), Is.False);
        Assert.That(window.TryAdd(id), Is.True);
    }

    [Test]
    public void The_oldest_ids_are_forgotten_past_the_maximum()
    {
        var window = new DedupeWindow(TimeSpan.FromHours(1), 3, new FakeTimeProvider());
        for (var i = 0; i < 5; i++)
        {
            window.TryAdd(new CloudEventId("s", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.That(window.Count, Is.EqualTo(3));
        Assert.That(window.Contains(new CloudEventId("s", "0")), Is.False);
        Assert.That(window.Contains(new CloudEventId("s", "4")), Is.True);
    }

    [Test]
    public void Same_id_from_another_source_is_another_event()
    {
        var window = new DedupeWindow(TimeSpan.FromHours(1), 10, new FakeTimeProvider());
        Assert.That(window.TryAdd(new CloudEventId("a", "1")), Is.True);
        Assert.That(window.TryAdd(new CloudEventId("b", "1")), Is.True);
    }
}
