using System.Text.Json;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace FeedbackMetrics.Tests.Server;

/// <summary>Every option binds from the command line, the environment and appsettings, and --help tells the true defaults.</summary>
public sealed class ConfigurationTests
{
    [Test]
    public void Help_defaults_are_the_defaults_the_options_really_have()
    {
        var bound = new Dictionary<string, object?>
        {
            ["Server"] = new ServerOptions(),
            ["Decoding"] = new DecodingOptions(),
            ["Limits"] = new LimitsOptions(),
            ["Reply"] = new ReplyOptions(),
            ["State"] = new StateOptions(),
            ["Admin"] = new AdminOptions(),
            ["Join"] = new JoinOptions(),
            ["Security"] = new SecurityOptions(),
            ["Exposition"] = new ExpositionOptions(),
            ["Alerts"] = new AlertOptions(),
            ["Windows"] = new WindowOptions(),
            ["Segments"] = new SegmentOptions(),
        };
        foreach (var option in SeldonCommandLine.Options)
        {
            var (section, property) = (option.ConfigKey.Split(':')[0], option.ConfigKey.Split(':')[1]);
            var value = option.Name switch
            {
                "feedback_types" => ((DecodingOptions)bound[section]!).EffectiveFeedbackTypes,
                "response_types" => ((JoinOptions)bound[section]!).EffectiveResponseTypes,
                _ => bound[section]!.GetType().GetProperty(property)!.GetValue(bound[section]),
            };
            var text = value switch
            {
                null => "",
                string[] list => string.Join(",", list),
                bool flag => flag ? "true" : "false",
                TimeSpan span => span.ToString(),
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            Assert.That(text, Is.EqualTo(option.Default ?? ""), $"--{option.Name}");
        }
    }

    [Test]
    public async Task Options_bind_from_the_environment_and_json_logs_are_one_object_per_line()
    {
        Environment.SetEnvironmentVariable("FeedbackMetrics__Limits__MaxKeys", "1");
        Environment.SetEnvironmentVariable("FeedbackMetrics__Server__LogFormat", "json");
        try
        {
            var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
            await using var server = await ServerProcess.StartAsync(stateDir);
            await server.Client.SendAsync(Feedback("a"));
            using var second = await server.Client.SendAsync(Feedback("b"));
            Assert.That((int)second.StatusCode, Is.EqualTo(422), "max_keys=1 came from the environment");
            await server.TerminateAsync(TimeSpan.FromSeconds(20));
            var lines = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines, Is.Not.Empty);
            foreach (var line in lines)
            {
                using var entry = JsonDocument.Parse(line);
                Assert.That(entry.RootElement.TryGetProperty("Message", out _), Is.True, line);
            }

            Assert.That(lines.Any(l => l.Contains("RejectionHandler", StringComparison.Ordinal) && l.Contains("Rejected event env#b with 422", StringComparison.Ordinal)), Is.True, "the refusal is logged, with its reason");
        }
        finally
        {
            Environment.SetEnvironmentVariable("FeedbackMetrics__Limits__MaxKeys", null);
            Environment.SetEnvironmentVariable("FeedbackMetrics__Server__LogFormat", null);
        }
    }

    [Test]
    public async Task Asp_nets_request_lines_are_off_by_default_and_the_environment_turns_them_and_its_debug_lines_on()
    {
        var quiet = await LogOfAFewRequests();
        Environment.SetEnvironmentVariable("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information");
        Environment.SetEnvironmentVariable("Logging__LogLevel__Microsoft.AspNetCore", "Debug");
        string verbose;
        try
        {
            verbose = await LogOfAFewRequests();
        }
        finally
        {
            Environment.SetEnvironmentVariable("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", null);
            Environment.SetEnvironmentVariable("Logging__LogLevel__Microsoft.AspNetCore", null);
        }

        Assert.Multiple(() =>
        {
            Assert.That(quiet, Does.Not.Contain("Microsoft.AspNetCore.Hosting.Diagnostics"), "no request lines by default");
            Assert.That(quiet, Does.Not.Contain("dbug:"));
            Assert.That(verbose, Does.Contain("Microsoft.AspNetCore.Hosting.Diagnostics[1] Request starting HTTP/1.1 POST"), "the environment turns the request lines on");
            Assert.That(verbose, Does.Contain("dbug: Microsoft.AspNetCore."), "and overrides the default Warning of ASP.NET's other categories");
        });

        static async Task<string> LogOfAFewRequests()
        {
            var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
            await using var server = await ServerProcess.StartAsync(stateDir, ["--state", "memory"]);
            using (await server.Client.SendAsync(Feedback("a")))
            using (await server.Client.GetAsync("/v1/metrics"))
            {
            }

            await server.TerminateAsync(TimeSpan.FromSeconds(20));
            return server.Output;
        }
    }

    [Test]
    public async Task Configured_feedback_types_replace_the_default_rather_than_add_to_it()
    {
        await using var server = await RunningServer.StartAsync(customize: builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeedbackMetrics:Decoding:FeedbackTypes:0"] = "my.feedback",
        }));
        using var seldonType = await server.PostBinaryAsync(Events.SeedBody, "1");
        using var ownType = await server.PostBinaryAsync(Events.SeedBody, "2", type: "my.feedback");
        Assert.That(((int)seldonType.StatusCode, (int)ownType.StatusCode), Is.EqualTo((202, 200)));
    }

    private static HttpRequestMessage Feedback(string deployment)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Events.SeedBody, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", Events.FeedbackType);
        request.Headers.Add("ce-source", "env");
        request.Headers.Add("ce-id", deployment);
        request.Headers.Add("ce-inferenceservicename", deployment);
        return request;
    }
}
