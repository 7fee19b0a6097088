using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>Past its limits the server answers 503 with Retry-After at once instead of queueing without bound, and recovers.</summary>
public sealed class OverloadTests
{
    [Test]
    public async Task A_request_past_the_concurrency_and_queue_limits_gets_503_with_retry_after_and_the_server_recovers()
    {
        await using var server = await RunningServer.StartAsync(["--max_concurrent_requests", "1", "--max_queued_requests", "0"]);

        // A slow sender holds the only slot: headers and half the body, then nothing for a while. It is retried
        // until it holds the slot (no answer on its socket), as a concurrent request may have been let in first.
        var body = Encoding.UTF8.GetBytes(Events.SeedBody);
        TcpClient? slow = null;
        for (var attempt = 0; attempt < 10 && slow is null; attempt++)
        {
            var client = new TcpClient();
            await client.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
            var head = $"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nce-specversion: 1.0\r\nce-type: {Events.FeedbackType}\r\nce-source: slow\r\nce-id: slow-{attempt}\r\nContent-Length: {body.Length}\r\n\r\n";
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head));
            await client.GetStream().WriteAsync(body.AsMemory(0, body.Length / 2));
            await Task.Delay(200);
            if (client.Available == 0)
            {
                slow = client;
            }
            else
            {
                client.Dispose();
            }
        }

        Assert.That(slow, Is.Not.Null, "the slow request never got the slot");
        using var holder = slow!;
        var stream = holder.GetStream();

        HttpResponseMessage? refused = null;
        for (var i = 0; i < 100 && refused is null; i++)
        {
            var response = await server.PostBinaryAsync(Events.SeedBody, id: $"probe-{i}");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
                await Task.Delay(20);
            }
        }

        Assert.That(refused, Is.Not.Null, "no request was refused while the only slot was taken");
        Assert.That(refused!.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(refused.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("Overloaded"));
        refused.Dispose();

        await stream.WriteAsync(body.AsMemory(body.Length / 2));
        var reply = new byte[4096];
        var read = await stream.ReadAsync(reply);
        Assert.That(Encoding.ASCII.GetString(reply, 0, read), Does.StartWith("HTTP/1.1 200"), "the slow request completes");

        using var after = await server.PostBinaryAsync(Events.SeedBody, id: "after");
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the server recovers once load drops");
        Assert.That((await server.PrometheusAsync()).Value("feedback_metrics_events_total", ("outcome", "overloaded")), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task A_burst_past_saturation_gets_only_200_or_503_and_every_acknowledged_event_is_counted_once()
    {
        await using var server = await RunningServer.StartAsync(["--max_concurrent_requests", "2", "--max_queued_requests", "4"]);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1000 }) { BaseAddress = server.BaseAddress };
        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 600), new ParallelOptions { MaxDegreeOfParallelism = 200 }, async (i, _) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Events.SeedBody, Encoding.UTF8, "application/json") };
            request.Headers.Add("ce-specversion", "1.0");
            request.Headers.Add("ce-type", Events.FeedbackType);
            request.Headers.Add("ce-source", "burst");
            request.Headers.Add("ce-id", $"b{i}");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        });

        Assert.That(statuses.Distinct(), Is.SubsetOf(new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }));
        Assert.That(statuses, Does.Contain(HttpStatusCode.ServiceUnavailable), "the burst did not saturate the server; the test proved nothing");
        var accepted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(accepted));
        using var after = await server.PostBinaryAsync(Events.SeedBody, id: "after");
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
