using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Tests.Core;

public sealed class WindowsSpecTests
{
    [Test]
    public void The_default_list_is_the_last_100_observations_and_the_last_hour()
    {
        var specs = WindowSpec.ParseList(WindowSpec.DefaultList);
        Assert.That(specs, Is.EqualTo(new[]
        {
            new WindowSpec("last_100", WindowKind.Count, 100, TimeSpan.Zero),
            new WindowSpec("1h", WindowKind.Time, 0, TimeSpan.FromHours(1)),
        }));
        Assert.That(specs[1].Buckets, Is.EqualTo(60));
    }

    [TestCase("5m", 5 * 60)]
    [TestCase("1h", 3600)]
    [TestCase("24h", 86_400)]
    [TestCase("7d", 7 * 86_400)]
    [TestCase(" 90m ", 90 * 60)]
    public void Time_windows_are_a_whole_number_of_minutes_hours_or_days(string text, int seconds)
    {
        var spec = WindowSpec.Parse(text);
        Assert.That((spec.Kind, spec.Span, spec.Name), Is.EqualTo((WindowKind.Time, TimeSpan.FromSeconds(seconds), text.Trim())));
    }

    [TestCase("last_1", 1)]
    [TestCase("last_100", 100)]
    [TestCase("last_100000", 100_000)]
    public void Count_windows_are_last_and_a_number_of_observations(string text, int rows)
    {
        Assert.That(WindowSpec.Parse(text), Is.EqualTo(new WindowSpec(text, WindowKind.Count, rows, TimeSpan.Zero)));
    }

    [TestCase("last_", "whole number from 1 to 100000")]
    [TestCase("last_0", "whole number from 1 to 100000")]
    [TestCase("last_100001", "whole number from 1 to 100000")]
    [TestCase("last_-5", "whole number from 1 to 100000")]
    [TestCase("last_1e3", "whole number from 1 to 100000")]
    [TestCase("0m", "at least 1m")]
    [TestCase("32d", "at most 31d")]
    [TestCase("99999999999999999999d", "not valid")]
    [TestCase("1w", "not valid")]
    [TestCase("1H", "not valid")]
    [TestCase("30s", "not valid")]
    [TestCase("h", "not valid")]
    [TestCase("hourly", "not valid")]
    public void A_bad_window_is_refused_with_the_reason_and_the_accepted_forms(string text, string reason)
    {
        var x = Assert.Throws<FormatException>(() => WindowSpec.Parse(text))!;
        Assert.That(x.Message, Does.Contain($"\"{text}\"").And.Contain(reason).And.Contain("last_N").And.Contain("5m, 1h, 24h, 7d"));
    }

    [TestCase("last_100,,1h", "empty item")]
    [TestCase("last_100,", "empty item")]
    [TestCase("1h,60m", "same window twice (1h and 60m)")]
    [TestCase("last_5,last_5", "same window twice")]
    [TestCase("last_5,5x", "\"5x\"")]
    public void A_bad_list_is_refused_with_the_reason(string text, string reason)
    {
        Assert.That(() => WindowSpec.ParseList(text), Throws.TypeOf<FormatException>().With.Message.Contain(reason));
        Assert.That(WindowSpec.TryParseList(text, out var specs, out var error), Is.False);
        Assert.That(specs, Is.Empty);
        Assert.That(error, Does.Contain(reason));
    }

    [TestCase("")]
    [TestCase("  ")]
    public void An_empty_list_turns_windows_off(string text)
    {
        Assert.That(WindowSpec.ParseList(text), Is.Empty);
    }

    [Test]
    public void Windows_keep_the_order_they_were_given_in()
    {
        Assert.That(WindowSpec.ParseList("7d, last_10 ,5m").Select(s => s.Name), Is.EqualTo(new[] { "7d", "last_10", "5m" }));
    }
}
