using System.Net;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Tests.Security;

/// <summary>
/// With <c>--oidc_audience</c> only a sender with a valid token of the issuer is counted: every other request is
/// refused with 401, WWW-Authenticate and a reason, counted by reason, and changes no figure.
/// </summary>
public sealed class SenderIdentityTests
{
    private const string Intruder = "system:serviceaccount:default:intruder";

    public static IEnumerable<TestCaseData> RefusedTokens()
    {
        // Times are read when a case runs, not when the cases are listed: a long suite on a busy machine may reach this
        // case many minutes after discovery, by when a token "not valid for 5 minutes" would have become valid.
        TestCaseData Case(string reason, Func<TestIssuer, string?> authorization) => new TestCaseData(authorization, reason).SetName($"Refused_with_401_and_nothing_counted({reason})");
        yield return Case("wrong_audience", i => "Bearer " + i.Token(audience: "someone-else"));
        yield return Case("wrong_issuer", i => "Bearer " + i.Token(issuer: "https://issuer.example"));
        yield return Case("expired", i => "Bearer " + i.Token(notBefore: DateTime.UtcNow.AddMinutes(-30), expires: DateTime.UtcNow.AddMinutes(-5)));
        yield return Case("not_yet_valid", i => "Bearer " + i.Token(notBefore: DateTime.UtcNow.AddMinutes(5), expires: DateTime.UtcNow.AddMinutes(20)));
        yield return Case("bad_signature", i => "Bearer " + i.Token(key: i.RsaKey.Impostor()));
        yield return Case("unsigned", i => "Bearer " + i.Token(unsigned: true));
        yield return Case("bad_algorithm", i => "Bearer " + i.Token(key: IssuerKey.Hmac(i.RsaKey.Kid)));
        yield return Case("unknown_key", i => "Bearer " + i.Token(key: IssuerKey.Rsa("never-published")));
        yield return Case("subject_not_allowed", i => "Bearer " + i.Token(subject: Intruder));
        yield return Case("missing_token", _ => null);
        yield return Case("malformed_header", _ => "Basic dXNlcjpwYXNzd29yZA==");
        yield return Case("malformed_token", _ => "Bearer not-a-jwt");
    }

    [TestCaseSource(nameof(RefusedTokens))]
    public async Task Refused_with_401_and_nothing_counted(Func<TestIssuer, string?> authorization, string reason)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var server = await RunningServer.StartAsync(issuer.ServerArgs("--oidc_subjects", TestIssuer.TriggerSubject));
        var before = await server.MetricsJsonTextAsync();

        using var response = await SecurityClient.PostAsync(server, "1", authorization(issuer));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.Single().Scheme, Is.EqualTo("Bearer"));
        Assert.That(await SecurityClient.ReasonAsync(response), Is.EqualTo(reason));
        Assert.That(await server.MetricsJsonTextAsync(), Is.EqualTo(before), "the figures are unchanged");
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_auth_failures_total", ("endpoint", "ingest"), ("reason", reason)), Is.EqualTo(1));
        Assert.That(prometheus.Value("feedback_metrics_events_total", ("outcome", "accepted")), Is.Zero);
        Assert.That(prometheus.Find("feedback_metrics_sender_events_total"), Is.Empty);
    }

    [Test]
    public async Task A_valid_token_is_accepted_and_its_event_counted_under_its_sender()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var server = await RunningServer.StartAsync(issuer.ServerArgs("--oidc_subjects", $"{TestIssuer.TriggerSubject},system:serviceaccount:seldon:other"));

        using var rsa = await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token());
        using var ec = await SecurityClient.PostAsync(server, "2", "Bearer " + issuer.Token(key: issuer.EcKey));

        Assert.That(rsa.StatusCode, Is.EqualTo(HttpStatusCode.OK), await rsa.Content.ReadAsStringAsync());
        Assert.That(ec.StatusCode, Is.EqualTo(HttpStatusCode.OK), "an ECDSA (ES256) key serves as well");
        var json = await server.MetricsJsonAsync();
        Assert.That(json["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(2));
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_sender_events_total", ("sender", TestIssuer.TriggerSubject)), Is.EqualTo(2));
        Assert.That(prometheus.Value("feedback_metrics_auth_failures_total", ("endpoint", "ingest"), ("reason", "expired")), Is.Zero, "reasons start at zero");
    }

    [Test]
    public async Task The_security_series_pass_promtool_check_metrics()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var server = await RunningServer.StartAsync(issuer.ServerArgs("--max_events_per_source_per_second", "1000"));
        using (await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token()))
        using (await SecurityClient.PostAsync(server, "2", "Bearer expired.or.not"))
        {
        }

        var file = Path.Combine(Path.GetTempPath(), $"fm-metrics-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, await server.Client.GetStringAsync("/v1/metrics"));
        var (code, output) = Binaries.Run("bash", "-c", $"{Tools.Promtool} check metrics < {file}");
        File.Delete(file);
        Assert.That(code, Is.Zero, output);
        Assert.That(output.Trim(), Is.Empty, "no warnings");
    }

    [Test]
    public async Task A_refusal_is_logged_with_the_subject_verified_or_claimed()
    {
        var logs = new CapturedLogs();
        await using var issuer = await TestIssuer.StartAsync();
        await using var server = await RunningServer.StartAsync(issuer.ServerArgs("--oidc_subjects", TestIssuer.TriggerSubject), builder => builder.Logging.AddProvider(logs));

        using (await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token(subject: Intruder)))
        using (await SecurityClient.PostAsync(server, "2", "Bearer " + issuer.Token(subject: "system:serviceaccount:x:forger\nfake line", key: issuer.RsaKey.Impostor())))
        {
        }

        var refusals = logs.Lines.Where(l => l.Contains("[101]", StringComparison.Ordinal)).ToList();
        Assert.That(refusals, Has.Some.Contains($"(subject_not_allowed), subject {Intruder} (verified)"));
        Assert.That(refusals, Has.Some.Contains("(bad_signature), subject system:serviceaccount:x:forger?fake line (claimed, not verified)"), "a claimed subject is quoted without control characters");
    }

    [Test]
    public async Task An_unknown_key_id_makes_the_server_reread_the_key_set_once_then_refuse()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var server = await RunningServer.StartAsync(issuer.ServerArgs());
        using (var first = await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token()))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        Assert.That(issuer.JwksReads, Is.EqualTo(1), "the key set is cached");
        var stranger = IssuerKey.Rsa("stranger");
        using (var unknown = await SecurityClient.PostAsync(server, "2", "Bearer " + issuer.Token(key: stranger)))
        {
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await SecurityClient.ReasonAsync(unknown), Is.EqualTo("unknown_key"));
        }

        Assert.That(issuer.JwksReads, Is.EqualTo(2), "an unknown key id makes the server re-read the key set");
        for (var i = 0; i < 5; i++)
        {
            using var again = await SecurityClient.PostAsync(server, $"again-{i}", "Bearer " + issuer.Token(key: stranger));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        Assert.That(issuer.JwksReads, Is.EqualTo(2), "not more than once per --oidc_refresh_interval");
        using var valid = await SecurityClient.PostAsync(server, "3", "Bearer " + issuer.Token());
        Assert.That(valid.StatusCode, Is.EqualTo(HttpStatusCode.OK), "known keys keep working");
    }

    [Test]
    public async Task A_rotated_key_is_accepted_without_a_restart_from_its_first_token()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var server = await RunningServer.StartAsync(issuer.ServerArgs());
        using (var first = await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token()))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var next = IssuerKey.Rsa("rsa-2");
        issuer.Publish(next);
        issuer.Withdraw(issuer.RsaKey);

        using (var rotated = await SecurityClient.PostAsync(server, "2", "Bearer " + issuer.Token(key: next)))
        {
            Assert.That(rotated.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the request that meets the new key id re-reads the key set and is accepted (Knative does not retry a 401)");
        }

        using (var old = await SecurityClient.PostAsync(server, "3", "Bearer " + issuer.Token()))
        {
            Assert.That(old.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the withdrawn key no longer signs");
            Assert.That(await SecurityClient.ReasonAsync(old), Is.EqualTo("unknown_key"));
        }

        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(2));
    }

    [Test]
    public async Task The_cluster_issuer_is_read_over_https_trusting_the_cluster_CA_with_the_pods_token()
    {
        await using var issuer = await TestIssuer.StartAsync(tls: true, requiredToken: "pod-service-account-token");
        var tokenFile = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N") + "-token");
        await File.WriteAllTextAsync(tokenFile, "pod-service-account-token\n");
        try
        {
            await using var server = await RunningServer.StartAsync(issuer.ServerArgs("--oidc_ca_file", issuer.CaPemFile!, "--oidc_discovery_token_file", tokenFile));
            using var response = await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token());
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(issuer.DiscoveryReads, Is.EqualTo(1));
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [TestCase(false, true, TestName = "An_issuer_that_cannot_be_read_gets_503_so_the_broker_retries(CA not trusted)")]
    [TestCase(true, false, TestName = "An_issuer_that_cannot_be_read_gets_503_so_the_broker_retries(no discovery token)")]
    public async Task An_issuer_that_cannot_be_read_gets_503_so_the_broker_retries(bool trustCa, bool sendToken)
    {
        await using var issuer = await TestIssuer.StartAsync(tls: true, requiredToken: "pod-service-account-token");
        var tokenFile = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N") + "-token");
        await File.WriteAllTextAsync(tokenFile, "pod-service-account-token");
        try
        {
            string[] args = [.. trustCa ? new[] { "--oidc_ca_file", issuer.CaPemFile! } : [], .. sendToken ? new[] { "--oidc_discovery_token_file", tokenFile } : []];
            await using var server = await RunningServer.StartAsync(issuer.ServerArgs(args));
            var before = await server.MetricsJsonTextAsync();
            using var response = await SecurityClient.PostAsync(server, "1", "Bearer " + issuer.Token());
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(response.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
            Assert.That(await SecurityClient.ReasonAsync(response), Is.EqualTo("issuer_unavailable"));
            Assert.That(await server.MetricsJsonTextAsync(), Is.EqualTo(before));
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }
}
