using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

public sealed class JsonIntervalTests
{
    [Test]
    public async Task The_JSON_view_gives_95_percent_Wilson_intervals_for_accuracy_and_each_class()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        // 8 of 10 right: class 0 right 5 of 5, class 1 right 3 of 5 (two predicted as 0)
        var rows = Enumerable.Repeat((0, 0), 5).Concat(Enumerable.Repeat((1, 1), 3)).Concat(Enumerable.Repeat((1, 0), 2)).ToArray();
        using var response = await server.PostBinaryAsync(Events.OneHot(2, rows), "1");

        var deployment = (await server.MetricsJsonAsync())["deployments"]![0]!;
        var accuracy = deployment["accuracyInterval"]!;
        Assert.That(accuracy["low"]!.GetValue<double>(), Is.EqualTo(0.4902).Within(1e-4), "Wilson 95 % for 8/10");
        Assert.That(accuracy["high"]!.GetValue<double>(), Is.EqualTo(0.9433).Within(1e-4));
        var recall1 = deployment["perClass"]![1]!["recallInterval"]!;
        var (low, high) = Wilson(3, 5);
        Assert.That(recall1["low"]!.GetValue<double>(), Is.EqualTo(low).Within(1e-12));
        Assert.That(recall1["high"]!.GetValue<double>(), Is.EqualTo(high).Within(1e-12));
        Assert.That(deployment["perClass"]![0]!["precisionInterval"]!["high"]!.GetValue<double>(), Is.LessThan(1), "5 of 7 predicted 0 were right");
    }

    /// <summary>The Wilson score interval, written out here independently of the server's code.</summary>
    private static (double Low, double High) Wilson(double successes, double n)
    {
        const double z = 1.959963984540054;
        var p = successes / n;
        var centre = (p + (z * z / (2 * n))) / (1 + (z * z / n));
        var half = z / (1 + (z * z / n)) * Math.Sqrt((p * (1 - p) / n) + (z * z / (4 * n * n)));
        return (centre - half, centre + half);
    }
}
