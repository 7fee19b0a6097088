using System.Net.Sockets;
using System.Text;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

public sealed class AbortedClientTests
{
    [Test]
    public async Task Clients_that_go_away_mid_body_are_counted_as_aborted_not_as_rejected_events()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        for (var i = 0; i < 5; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
            var head = $"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nce-specversion: 1.0\r\nce-id: {i}\r\nce-source: s\r\nce-type: {Events.FeedbackType}\r\n\r\n{{\"truth\": ";
            await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head));
            await Task.Delay(50);
            tcp.Client.LingerState = new LingerOption(true, 0); // RST, as a client that dies
        }

        for (var attempt = 0; attempt < 100; attempt++)
        {
            var prometheus = await server.PrometheusAsync();
            if (prometheus.Value("feedback_metrics_events_total", ("outcome", "aborted")) == 5)
            {
                Assert.That(prometheus.Value("feedback_metrics_events_total", ("outcome", "rejected")), Is.Zero);
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the aborted requests were not counted as aborted: " + string.Join("; ", (await server.Client.GetStringAsync("/v1/metrics")).Split((char)10).Where(l => l.StartsWith("feedback_metrics_events_total", StringComparison.Ordinal))));
    }
}
