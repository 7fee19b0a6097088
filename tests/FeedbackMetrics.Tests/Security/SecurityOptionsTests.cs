using System.Text.Json;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace FeedbackMetrics.Tests.Security;

/// <summary>The security options bind like every other option and stop the server at start with a message when they do not fit together.</summary>
public sealed class SecurityOptionsTests
{
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_issuer", "http://issuer.example" }, "the issuer http://issuer.example is not https (--oidc_issuer): give an https issuer, or --oidc_require_https_metadata false for a test issuer on loopback")]
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_issuer", "not a url" }, "'not a url' is not an absolute http(s) URL (--oidc_issuer): give an absolute http(s) URL (https unless --oidc_require_https_metadata false)")]
    [TestCase(new[] { "--protect_reads", "oidc" }, "--protect_reads oidc has no audience to check (--protect_reads): set --oidc_audience too (reader tokens carry the same audience)")]
    [TestCase(new[] { "--protect_reads", "token" }, "--protect_reads token has no token (--protect_reads): set --read_token_file to a file holding the token")]
    [TestCase(new[] { "--protect_reads", "everything" }, "'everything' is not valid (--protect_reads): give none, token or oidc")]
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_ca_file", "/no/such/ca.crt" }, "/no/such/ca.crt does not exist (--oidc_ca_file): give the path of an existing file")]
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_refresh_interval", "00:00:00.100" }, "'00:00:00.100' is too short (--oidc_refresh_interval): give a duration of at least 00:00:01")]
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_automatic_refresh_interval", "00:01:00" }, "'00:01:00' is too short (--oidc_automatic_refresh_interval): give a duration of at least 00:05:00")]
    [TestCase(new[] { "--max_events_per_source_per_second", "-1" }, "-1 is out of range (--max_events_per_source_per_second): give a whole number from 0 to 1000000")]
    public void Options_that_do_not_fit_stop_the_server_at_start(string[] args, string line)
    {
        var e = Assert.Throws<StartupException>(() => ServerApp.Build(["--http_port", "0", "--bind_address", "127.0.0.1", "--state", "memory", .. args]));
        Assert.That(e!.Message, Is.EqualTo(line));
    }

    [Test]
    public void Lists_and_flags_map_to_configuration()
    {
        var values = SeldonCommandLine.Parse(
            ["--oidc_audience", "fm", "--oidc_subjects", "system:serviceaccount:a:b, system:serviceaccount:c:d", "--oidc_require_https_metadata", "false"], TextWriter.Null)!;
        Assert.That(values["FeedbackMetrics:Security:OidcAudience"], Is.EqualTo("fm"));
        Assert.That(values["FeedbackMetrics:Security:OidcSubjects:1"], Is.EqualTo("system:serviceaccount:c:d"));
        var bound = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("FeedbackMetrics:Security").Get<FeedbackMetrics.Server.Options.SecurityOptions>()!;
        Assert.That(bound.OidcSubjects, Is.EqualTo(new[] { "system:serviceaccount:a:b", "system:serviceaccount:c:d" }));
        Assert.That(bound.OidcRequireHttpsMetadata, Is.False);
    }

    [Test]
    public void The_server_re_reads_issuer_keys_within_the_request_that_needs_them()
    {
        // Without this switch Microsoft.IdentityModel re-reads keys in the background and refuses the token that met a
        // new key id; Knative does not retry a 401, so that event would go to the dead-letter sink.
        var config = Path.Combine(AppContext.BaseDirectory, "FeedbackMetrics.Server.runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(config));
        var properties = document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.That(properties.GetProperty("Switch.Microsoft.IdentityModel.UpdateConfigAsBlocking").GetBoolean(), Is.True);
    }
}
