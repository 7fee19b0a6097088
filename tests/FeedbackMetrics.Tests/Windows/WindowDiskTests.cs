using System.Globalization;
using System.Text;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Windows;

/// <summary>What windows keep in the state file, measured on a fixed stream (README quotes the figure).</summary>
public sealed class WindowDiskTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>10 models, 100 minutes, 1 000 rows a minute (10 rows an event, scored 3-class vectors).</summary>
    [Test]
    public async Task State_file_size_of_a_fixed_stream_with_the_default_windows()
    {
        var clock = new FakeTimeProvider(Start);
        var random = new Random(17);
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        await using (var server = await RunningServer.StartAsync(["--windows", "last_100,1h"], b => b.Services.AddSingleton<TimeProvider>(clock), stateDir))
        {
            for (var minute = 0; minute < 100; minute++)
            {
                var events = new StringBuilder("[");
                for (var e = 0; e < 100; e++)
                {
                    var rows = Enumerable.Range(0, 10).Select(_ => (random.Next(3), random.Next(3))).ToArray();
                    events.Append(e == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $$"""
                        {"specversion":"1.0","type":"io.seldon.serving.feedback","source":"size","id":"{{minute}}-{{e}}",
                         "inferenceservicename":"model-{{e % 10}}","namespace":"ns","data":{{Events.OneHot(3, rows)}}}
                        """);
                }

                using var response = await server.PostRawAsync(events.Append(']').ToString(), "application/cloudevents-batch+json");
                response.EnsureSuccessStatusCode();
                clock.Advance(TimeSpan.FromMinutes(1));
            }
        }

        var bytes = Directory.EnumerateFiles(stateDir).Sum(f => new FileInfo(f).Length);
        TestContext.Progress.WriteLine($"state file after 100 000 rows over 100 minutes, 10 models, --windows last_100,1h: {bytes:N0} bytes");
        Assert.That(bytes, Is.GreaterThan(0));
        Directory.Delete(stateDir, recursive: true);
    }
}
