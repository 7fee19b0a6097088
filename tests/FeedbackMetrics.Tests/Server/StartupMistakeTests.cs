using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// DESIGN.md "First day": every start-up mistake, made on the real process as a user makes it, answers with one
/// <c>error:</c> line naming the option or resource and what to do, at most one hint, exit code 2, and nothing else.
/// </summary>
public sealed class StartupMistakeTests
{
    private readonly List<string> _dirs = [];

    [TearDown]
    public void DeleteDirectories()
    {
        foreach (var dir in _dirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [TestCase("--state sqllite", "error: 'sqllite' is not valid (--state): give sqlite, memory, or redis://HOST:PORT[,HOST:PORT…] (rediss:// for TLS)")]
    [TestCase("--http_port abc", "error: 'abc' is not a whole number (--http_port): give a port number 1-65535 (0 picks a free port)")]
    [TestCase("--http_port 99999", "error: 99999 is out of range (--http_port): give a port number 1-65535 (0 picks a free port)")]
    [TestCase("--join_ttl 7d", "error: '7d' is not a duration (--join_ttl): give a duration from 00:00:01 to 3650.00:00:00")]
    [TestCase("--max_keys 0", "error: 0 is out of range (--max_keys): give a whole number from 1 to 10000000")]
    [TestCase("--storage_uri BinaryMetrics", "error: 'BinaryMetrics' is not a decoder (--storage_uri): give one of adserver.cm_models.multiclass_one_hot.MulticlassOneHot, adserver.cm_models.multiclass_numeric.MultiClassNumeric, adserver.cm_models.binary_metrics.BinaryMetrics")]
    [TestCase(
        "--deployment_decoders seldon/iris=MultiClassNumeric,seldon/income=BinaryMetric:0.3",
        "error: unknown decoder 'BinaryMetric' in 'seldon/income=BinaryMetric:0.3' (--deployment_decoders): give comma-separated NAMESPACE/DEPLOYMENT=DECODER[:THRESHOLD] with DECODER one of MulticlassOneHot, MultiClassNumeric, BinaryMetrics (or its --storage_uri), e.g. seldon/income=BinaryMetrics:0.3")]
    [TestCase("--windows last_100,2x", "error: Window \"2x\" is not valid (--windows): give last_N (the last N rows, N from 1 to 100000) or a span back from now, a whole number and m, h or d from 1m to 31d (5m, 1h, 24h, 7d), comma-separated; or empty")]
    [TestCase("--reply_url broker/default", "error: 'broker/default' is not an absolute http(s) URL (--reply_url): give an absolute http(s) URL, or empty")]
    [TestCase("--admin_token_file /nonexistent/token", "error: '/nonexistent/token' cannot be read or holds no token (--admin_token_file): give a readable file holding the token, or empty")]
    [TestCase("--protect_reads token", "error: --protect_reads token has no token (--protect_reads): set --read_token_file to a file holding the token")]
    [TestCase("--htp_port 8080", "error: unknown option (--htp_port): run with --help to list the options\nhint: did you mean --http_port?")]
    [TestCase("-state_dir /tmp", "error: options start with two dashes (-state_dir): write --state_dir\nhint: did you mean --state_dir?")]
    [TestCase("--reply_url", "error: no value given (--reply_url): write --reply_url VALUE or --reply_url=VALUE")]
    [TestCase("DriftDetector", "error: this image is Seldon's MetricsServer only (DriftDetector): run Seldon's alibi-detect server for DriftDetector")]
    public async Task A_bad_option_gets_one_line_naming_it_and_what_it_accepts_and_exit_code_2(string arguments, string expected)
    {
        var (code, stdout, stderr) = await ServerProcess.RunToExitAsync(["--http_port", "0", "--bind_address", "127.0.0.1", "--state", "memory", .. arguments.Split(' ')]);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Is.EqualTo(expected + "\n"), "the line and at most one hint, no stack trace");
            Assert.That(stdout, Is.Empty, "no log line: nothing started");
        });
    }

    [Test]
    public async Task A_bad_value_from_the_environment_is_named_by_its_variable()
    {
        Environment.SetEnvironmentVariable("FeedbackMetrics__Server__HttpPort", "http");
        try
        {
            var (code, _, stderr) = await ServerProcess.RunToExitAsync("--state", "memory");
            Assert.That((code, stderr), Is.EqualTo((2, "error: 'http' is not a whole number (FeedbackMetrics__Server__HttpPort): give a port number 1-65535 (0 picks a free port)\n")));
        }
        finally
        {
            Environment.SetEnvironmentVariable("FeedbackMetrics__Server__HttpPort", null);
        }
    }

    [Test]
    public async Task A_port_in_use_is_named_and_no_state_is_loaded()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, stdout, stderr) = await ServerProcess.RunToExitAsync("--http_port", port, "--bind_address", "127.0.0.1", "--state_dir", NewDirectory());
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Is.EqualTo($"error: port {port} on 127.0.0.1 is already in use (--http_port): stop the process using it, or choose another port\n"));
            Assert.That(stdout, Is.Empty, "no crit line about the state: it was never opened");
        });
    }

    [Test]
    public async Task A_second_server_on_the_same_state_directory_is_refused_naming_the_first_which_keeps_working()
    {
        var dir = NewDirectory();
        await using var first = await ServerProcess.StartAsync(dir);
        using (var counted = await first.Client.SendAsync(Feedback("1")))
        {
            Assert.That(counted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var (code, stdout, stderr) = await ServerProcess.RunToExitAsync("--http_port", "0", "--bind_address", "127.0.0.1", "--state_dir", dir);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Is.EqualTo($"error: another server (pid {first.Pid}) holds the state directory ({dir}): stop it, or give this server its own --state_dir\n"));
            Assert.That(stdout, Is.Empty);
        });

        using (var second = await first.Client.SendAsync(Feedback("2")))
        {
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the first server's state was not touched");
        }

        Assert.That(await CountAsync(first), Is.EqualTo(2));
    }

    [Test]
    public async Task A_killed_servers_lock_goes_with_it_and_the_next_server_restores_its_state()
    {
        var dir = NewDirectory();
        await using (var first = await ServerProcess.StartAsync(dir))
        {
            using var counted = await first.Client.SendAsync(Feedback("1"));
            Assert.That(counted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await first.KillAsync();
        }

        Assert.That(File.Exists(Path.Combine(dir, "feedback-metrics.lock")), Is.True, "the lock file stays; the lock does not");
        await using var next = await ServerProcess.StartAsync(dir);
        Assert.That(await CountAsync(next), Is.EqualTo(1));
    }

    [Test]
    public async Task The_default_state_directory_is_data_under_the_working_directory_and_the_log_names_its_absolute_path()
    {
        var work = NewDirectory();
        await using var server = await ServerProcess.StartInAsync(work);
        var data = Path.Combine(work, "data");
        Assert.Multiple(() =>
        {
            Assert.That(server.Output, Does.Contain($"state sqlite in {data},"));
            Assert.That(server.Output, Does.Contain($"State restored from sqlite {data}/feedback-metrics.db"));
            Assert.That(File.Exists(Path.Combine(data, "feedback-metrics.db")), Is.True);
        });
    }

    private string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        _dirs.Add(dir);
        return dir;
    }

    private static async Task<long> CountAsync(ServerProcess server) =>
        JsonNode.Parse(await server.Client.GetStringAsync("/v1/metrics?format=json"))!["deployments"]![0]!["count"]!.GetValue<long>();

    private static HttpRequestMessage Feedback(string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Events.SeedBody, Encoding.UTF8, "application/json") };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", Events.FeedbackType);
        request.Headers.Add("ce-source", "first-day");
        request.Headers.Add("ce-id", id);
        return request;
    }
}
