using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>Debian's Prometheus scrapes a running server and evaluates our recording rules; they agree with the server's JSON.</summary>
[Category("Deploy")]
public sealed class RealPrometheusTests
{
    [Test]
    public async Task Recording_rules_evaluated_by_prometheus_equal_the_servers_own_figures()
    {
        await using var server = await RunningServer.StartAsync();
        var random = new Random(11);
        for (var i = 0; i < 40; i++)
        {
            var rows = Enumerable.Range(0, 3).Select(_ => (random.Next(3), random.Next(3))).ToArray();
            (await server.PostBinaryAsync(Events.OneHot(3, rows), $"e{i}", extensions: new Dictionary<string, string> { ["inferenceservicename"] = "iris", ["namespace"] = "models" })).EnsureSuccessStatusCode();
        }

        var figures = (await server.MetricsJsonAsync())["deployments"]![0]!;
        var work = Path.Combine(Path.GetTempPath(), "fm-prometheus", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var port = FreePort();
        var config = Path.Combine(work, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {Tools.InRepo("deploy", "prometheus", "feedback-metrics.rules.yaml")}
            scrape_configs:
              - job_name: feedback-metrics
                metrics_path: /v1/metrics
                static_configs:
                  - targets: ["{server.BaseAddress.Authority}"]
            """);
        var start = new ProcessStartInfo(Tools.Prometheus) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(work, "data")}", $"--web.listen-address=127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }

        using var prometheus = Process.Start(start)!;
        prometheus.OutputDataReceived += (_, _) => { };
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var accuracy = await QueryAsync(client, "feedback_metrics:accuracy:ratio{deployment_name=\"iris\"}");
            Assert.That(accuracy, Is.EqualTo(figures["accuracy"]!.GetValue<double>()).Within(1e-12));

            for (var c = 0; c < 3; c++)
            {
                var precision = await QueryAsync(client, $"feedback_metrics:class_precision:ratio{{deployment_name=\"iris\",class=\"CLASS_{c}\"}}");
                var recall = await QueryAsync(client, $"feedback_metrics:class_recall:ratio{{deployment_name=\"iris\",class=\"CLASS_{c}\"}}");
                Assert.That(precision, Is.EqualTo(figures["perClass"]![c]!["precision"]!.GetValue<double>()).Within(1e-12), $"CLASS_{c} precision");
                Assert.That(recall, Is.EqualTo(figures["perClass"]![c]!["recall"]!.GetValue<double>()).Within(1e-12), $"CLASS_{c} recall");
            }
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Polls the instant query until it returns one sample (Prometheus needs a scrape and a rule evaluation).</summary>
    private static async Task<double> QueryAsync(HttpClient client, string query)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                var json = JsonNode.Parse(await client.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}"))!;
                if (json["data"]!["result"]!.AsArray() is [var sample])
                {
                    return double.Parse(sample!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture);
                }
            }
            catch (HttpRequestException)
            {
                // not up yet
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Prometheus returned no sample for {query} in 30 s.");
        return double.NaN;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
