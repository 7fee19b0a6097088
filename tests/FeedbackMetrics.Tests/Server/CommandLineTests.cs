using System.Diagnostics;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Hosting;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Tests.Server;

public sealed class CommandLineTests
{
    [Test]
    public void Seldons_arguments_map_to_configuration()
    {
        var values = SeldonCommandLine.Parse(
            ["--model_name", "multiclassserver", "--http_port", "8080", "--protocol", "seldonfeedback.http",
             "--storage_uri", "adserver.cm_models.binary_metrics.BinaryMetrics", "--reply_url", "http://broker/",
             "--event_type", "t", "--event_source", "s", "--elasticsearch_uri", "http://es:9200", "MetricsServer"],
            TextWriter.Null)!;
        Assert.That(values["FeedbackMetrics:Server:ModelName"], Is.EqualTo("multiclassserver"));
        Assert.That(values["FeedbackMetrics:Decoding:StorageUri"], Is.EqualTo("adserver.cm_models.binary_metrics.BinaryMetrics"));
        Assert.That(values["FeedbackMetrics:Reply:Url"], Is.EqualTo("http://broker/"));
        Assert.That(values["FeedbackMetrics:Join:ElasticsearchUri"], Is.EqualTo("http://es:9200"));
    }

    [Test]
    public void Equals_form_and_lists_are_understood()
    {
        var values = SeldonCommandLine.Parse(["--feedback_types=a.b, c.d", "--http_port=1"], TextWriter.Null)!;
        Assert.That(values["FeedbackMetrics:Decoding:FeedbackTypes:1"], Is.EqualTo("c.d"));
        Assert.That(values["FeedbackMetrics:Server:HttpPort"], Is.EqualTo("1"));
    }

    [TestCase("--no_such_option", "1", "Unknown option --no_such_option")]
    [TestCase("DriftDetector", null, "MetricsServer only")]
    [TestCase("--reply_url", null, "needs a value")]
    public void Bad_command_lines_are_refused_with_a_reason(string arg, string? value, string reason)
    {
        string[] args = value is null ? [arg] : [arg, value];
        var e = Assert.Throws<CommandLineException>(() => SeldonCommandLine.Parse(args, TextWriter.Null));
        Assert.That(e!.Message, Does.Contain(reason));
    }

    [Test]
    public void Help_lists_every_option()
    {
        var help = new StringWriter();
        Assert.That(SeldonCommandLine.Parse(["--help"], help), Is.Null);
        foreach (var option in SeldonCommandLine.Options)
        {
            Assert.That(help.ToString(), Does.Contain("--" + option.Name));
        }
    }

    [Test]
    public void Unknown_storage_uri_fails_at_start_up_listing_the_valid_ones()
    {
        var app = ServerApp.Build(["--http_port", "0", "--bind_address", "127.0.0.1", "--storage_uri", "adserver.cm_models.nope.Nope"])!;
        var e = Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.That(e!.Message, Does.Contain("adserver.cm_models.multiclass_numeric.MultiClassNumeric"));
    }

    [TestCase("--storage_uri bogus --http_port 0", "--storage_uri must be one of")]
    [TestCase("--http_port abc", "'abc' at 'FeedbackMetrics:Server:HttpPort'")]
    [TestCase("--http_port 0 --join_ttl 7d", "'7d' at 'FeedbackMetrics:Join:Ttl'")]
    [TestCase("--http_port 70000", "HttpPort must be between 0 and 65535")]
    [TestCase("--http_port 0 --admin_token_file /nonexistent/token", "--admin_token_file must name a readable file")]
    public async Task The_real_process_exits_with_code_2_and_a_message_on_bad_options(string arguments, string message)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "FeedbackMetrics.Server.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--state", "memory", .. arguments.Split(' ')]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stdout;
        Assert.That(process.ExitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain(message).And.StartsWith("error: "));
    }
}
