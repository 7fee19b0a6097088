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

    [TestCase("--no_such_option 1", "unknown option (--no_such_option): run with --help to list the options", null)]
    [TestCase("--bind-adress 0.0.0.0", "unknown option (--bind-adress): run with --help to list the options", "did you mean --bind_address?")]
    [TestCase("--max_key 5", "unknown option (--max_key): run with --help to list the options", "did you mean --max_keys?")]
    [TestCase("--hlep", "unknown option (--hlep): run with --help to list the options", "did you mean --help?")]
    [TestCase("DriftDetector", "this image is Seldon's MetricsServer only (DriftDetector): run Seldon's alibi-detect server for DriftDetector", null)]
    [TestCase("MetricServer", "unexpected argument (MetricServer): the only positional argument is MetricsServer; options start with --", "did you mean MetricsServer?")]
    [TestCase("--reply_url", "no value given (--reply_url): write --reply_url VALUE or --reply_url=VALUE", null)]
    public void Bad_command_lines_are_refused_with_one_line_and_a_hint_when_a_name_is_near(string args, string line, string? hint)
    {
        var e = Assert.Throws<StartupException>(() => SeldonCommandLine.Parse(args.Split(' '), TextWriter.Null));
        Assert.That((e!.Message, e.Hint), Is.EqualTo((line, hint)));
    }

    [Test]
    public void Help_starts_with_an_example_and_lists_every_option_under_its_topic()
    {
        var help = new StringWriter();
        Assert.That(SeldonCommandLine.Parse(["--help"], help), Is.Null);
        var lines = help.ToString().Split('\n');
        Assert.That(lines.Take(5).Any(l => l.StartsWith("Example: FeedbackMetrics.Server --", StringComparison.Ordinal)), Is.True, "an example near the top");
        Assert.That(SeldonCommandLine.Parse(HelpText.Example.Split(' ')[1..], TextWriter.Null), Is.Not.Null, "the example parses");

        var topic = "";
        var listed = new Dictionary<string, string>();
        foreach (var line in lines)
        {
            if (line.EndsWith(':') && !line.StartsWith(' '))
            {
                topic = line.TrimEnd(':');
            }
            else if (line.StartsWith("  --", StringComparison.Ordinal))
            {
                listed[line.Trim().Split(' ')[0][2..]] = topic;
            }
        }

        Assert.Multiple(() =>
        {
            foreach (var option in SeldonCommandLine.Options)
            {
                Assert.That(listed.GetValueOrDefault(option.Name), Is.EqualTo(option.Topic.Title), $"--{option.Name}");
            }
        });
        Assert.That(SeldonCommandLine.Options.Select(o => o.Topic).Distinct().Count(), Is.GreaterThanOrEqualTo(10), "grouped, not one flat list");
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
