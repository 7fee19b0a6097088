using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Tests.Core;

public sealed class StatisticsWilsonTests
{
    // Known values, worked out with p = s/n, z = 1.959964: centre (p + z²/2n)/(1 + z²/n), half-width
    // z/(1 + z²/n)·sqrt(p(1−p)/n + z²/4n²). 8/10: centre 0.71674, half 0.22658.
    [TestCase(8, 10, 0.4902, 0.9433)]
    [TestCase(0, 10, 0.0, 0.2775)]
    [TestCase(10, 10, 0.7225, 1.0)]
    [TestCase(1, 2, 0.0945, 0.9055)]
    [TestCase(45, 50, 0.7864, 0.9565)]
    public void The_Wilson_interval_matches_known_values(int successes, int trials, double low, double high)
    {
        var interval = Wilson.Interval(successes, trials);
        Assert.That(interval.Low, Is.EqualTo(low).Within(5e-5));
        Assert.That(interval.High, Is.EqualTo(high).Within(5e-5));
    }

    [Test]
    public void With_no_trials_the_interval_is_all_of_zero_to_one()
    {
        Assert.That(Wilson.Interval(0, 0), Is.EqualTo(new Interval(0, 1)));
    }

    [Test]
    public void No_successes_and_all_successes_pin_the_interval_to_zero_and_one_exactly()
    {
        Assert.That(Wilson.Interval(0, 7).Low, Is.Zero);
        Assert.That(Wilson.Interval(7, 7).High, Is.EqualTo(1.0));
    }

    [Test]
    public void The_Wilson_interval_solves_the_score_test_quadratic_on_random_counts()
    {
        // Independent form: the interval is the set of p with (p̂ − p)² ≤ z²·p(1 − p)/n, i.e. the roots of
        // (1 + z²/n)·p² − (2p̂ + z²/n)·p + p̂² = 0.
        var random = new Random(11);
        for (var i = 0; i < 2000; i++)
        {
            var n = random.Next(1, 5000);
            var s = random.Next(0, n + 1);
            var (low, high) = QuadraticRoots(s, n, 1.959963984540054);
            var interval = Wilson.Interval(s, n);
            Assert.That(interval.Low, Is.EqualTo(low).Within(1e-9), $"{s}/{n}");
            Assert.That(interval.High, Is.EqualTo(high).Within(1e-9), $"{s}/{n}");
        }
    }

    [Test]
    public void Impossible_counts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Wilson.Interval(11, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Wilson.Interval(-1, 10));
    }

    /// <summary>The Wilson interval as the roots of the score test's quadratic (shared by the figure-set tests).</summary>
    internal static (double Low, double High) QuadraticRoots(long s, long n, double z)
    {
        if (n == 0)
        {
            return (0, 1);
        }

        var p = s / (double)n;
        var a = 1 + (z * z / n);
        var b = -((2 * p) + (z * z / n));
        var c = p * p;
        var root = Math.Sqrt(Math.Max(0, (b * b) - (4 * a * c)));
        return (Math.Max(0, (-b - root) / (2 * a)), Math.Min(1, (-b + root) / (2 * a)));
    }
}
