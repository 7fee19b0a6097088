using System.Text.Json;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Tests.Security;

/// <summary>The security options bind like every other option and stop the server at start with a message when they do not fit together.</summary>
public sealed class SecurityOptionsTests
{
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_issuer", "http://issuer.example" }, "--oidc_issuer must be https")]
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_issuer", "not a url" }, "--oidc_issuer must be an absolute http(s) URL")]
    [TestCase(new[] { "--protect_reads", "oidc" }, "--protect_reads oidc needs --oidc_audience")]
    [TestCase(new[] { "--protect_reads", "token" }, "--protect_reads token needs --read_token_file")]
    [TestCase(new[] { "--protect_reads", "everything" }, "--protect_reads must be none, token or oidc")]
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_ca_file", "/no/such/ca.crt" }, "--oidc_ca_file /no/such/ca.crt does not exist")]
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_refresh_interval", "00:00:00.100" }, "--oidc_refresh_interval must be at least")]
    [TestCase(new[] { "--oidc_audience", "a", "--oidc_automatic_refresh_interval", "00:01:00" }, "--oidc_automatic_refresh_interval must be at least")]
    [TestCase(new[] { "--max_events_per_source_per_second", "-1" }, "MaxEventsPerSourcePerSecond")]
    public void Options_that_do_not_fit_stop_the_server_at_start(string[] args, string message)
    {
        var app = ServerApp.Build(["--http_port", "0", "--bind_address", "127.0.0.1", "--state", "memory", .. args])!;
        var e = Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.That(e!.Message, Does.Contain(message));
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
