using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Hosting;
using FeedbackMetrics.Server.Options;

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
    public void Every_option_sets_a_property_of_its_options_type()
    {
        Assert.Multiple(() =>
        {
            foreach (var option in SeldonCommandLine.Options)
            {
                Assert.That(OptionCatalog.Property(option), Is.Not.Null, $"--{option.Name} sets {option.Key}");
            }
        });
    }

    [Test]
    public void Options_that_fail_validation_stop_the_build_with_the_line_of_the_option()
    {
        var e = Assert.Throws<StartupException>(() => ServerApp.Build(["--http_port", "0", "--bind_address", "127.0.0.1", "--state", "memory", "--storage_uri", "adserver.cm_models.nope.Nope"]));
        Assert.That(e!.Message, Is.EqualTo(
            "'adserver.cm_models.nope.Nope' is not a decoder (--storage_uri): give one of adserver.cm_models.multiclass_one_hot.MulticlassOneHot, adserver.cm_models.multiclass_numeric.MultiClassNumeric, adserver.cm_models.binary_metrics.BinaryMetrics"));
    }
}
