using System.Net;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Security;

/// <summary><c>--protect_reads</c> puts <c>GET /v1/metrics</c> behind a token or OIDC; health, readiness and the protocol stay open.</summary>
public sealed class ReadProtectionTests
{
    private const string Prometheus = "system:serviceaccount:monitoring:prometheus";

    [Test]
    public async Task With_a_read_token_only_its_bearer_reads_the_figures()
    {
        var tokenFile = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N") + "-read");
        Directory.CreateDirectory(Path.GetDirectoryName(tokenFile)!);
        await File.WriteAllTextAsync(tokenFile, "s3cret-read-token\n");
        try
        {
            await using var server = await RunningServer.StartAsync(["--state", "memory", "--protect_reads", "token", "--read_token_file", tokenFile]);
            using (var post = await SecurityClient.PostAsync(server, "1", null))
            {
                Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), "senders are not verified without --oidc_audience");
            }

            await ExpectRefusedAsync(server, "/v1/metrics", null, "missing_token");
            await ExpectRefusedAsync(server, "/v1/metrics?format=json", "Bearer wrong", "wrong_token");
            await ExpectRefusedAsync(server, "/v1/metrics", "Basic czNjcmV0", "malformed_header");
            using (var json = await SecurityClient.GetAsync(server, "/v1/metrics?format=json", "Bearer s3cret-read-token"))
            {
                Assert.That(json.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(await json.Content.ReadAsStringAsync(), Does.Contain("\"count\":1"));
            }

            using var text = await SecurityClient.GetAsync(server, "/v1/metrics", "Bearer s3cret-read-token");
            var prometheus = PrometheusText.Parse(await text.Content.ReadAsStringAsync());
            Assert.That(prometheus.Value("feedback_metrics_auth_failures_total", ("endpoint", "reads"), ("reason", "wrong_token")), Is.EqualTo(1));
            await ExpectOpenAsync(server);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Test]
    public async Task With_oidc_reads_need_a_token_of_an_allowed_reader()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var server = await RunningServer.StartAsync(issuer.ServerArgs("--oidc_subjects", TestIssuer.TriggerSubject, "--protect_reads", "oidc", "--read_subjects", Prometheus));

        await ExpectRefusedAsync(server, "/v1/metrics", null, "missing_token");
        await ExpectRefusedAsync(server, "/v1/metrics", "Bearer " + issuer.Token(), "subject_not_allowed");
        await ExpectRefusedAsync(server, "/v1/metrics", "Bearer " + issuer.Token(subject: Prometheus, audience: "other"), "wrong_audience");
        using (var read = await SecurityClient.GetAsync(server, "/v1/metrics", "Bearer " + issuer.Token(subject: Prometheus)))
        {
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using (var send = await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token(subject: Prometheus)))
        {
            Assert.That(send.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a reader is not a sender");
        }

        await ExpectOpenAsync(server);
    }

    private static async Task ExpectRefusedAsync(RunningServer server, string path, string? authorization, string reason)
    {
        using var response = await SecurityClient.GetAsync(server, path, authorization);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"{path} with {authorization ?? "no token"}");
        Assert.That(response.Headers.WwwAuthenticate.Single().Scheme, Is.EqualTo("Bearer"));
        Assert.That(await SecurityClient.ReasonAsync(response), Is.EqualTo(reason));
    }

    private static async Task ExpectOpenAsync(RunningServer server)
    {
        foreach (var path in new[] { "/healthz", "/ready", "/protocol" })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{path} stays open");
        }

        using var reset = await server.Client.DeleteAsync("/v1/metrics/ns/d/p");
        Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "the admin reset keeps its own token (none configured here)");
    }
}
