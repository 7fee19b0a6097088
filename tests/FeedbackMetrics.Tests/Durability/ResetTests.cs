using System.Net;
using System.Net.Http.Headers;
using FeedbackMetrics.Tests.Support;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Tests.Durability;

public sealed class ResetTests
{
    private static Dictionary<string, string> Identity(string deployment, string model) => new()
    {
        ["namespace"] = "ns",
        ["inferenceservicename"] = deployment,
        ["endpoint"] = "default",
        ["modelid"] = model,
    };

    private static HttpRequestMessage Delete(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    [Test]
    public async Task Reset_is_disabled_without_an_admin_token_file()
    {
        await using var server = await RunningServer.StartAsync();
        await server.PostBinaryAsync(Events.SeedBody, "1", extensions: Identity("iris", "v1"));
        using var response = await server.Client.SendAsync(Delete("/v1/metrics/ns/iris/default", "anything"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await server.MetricsJsonAsync())["deployments"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Reset_needs_the_bearer_token_and_forgets_one_model_or_a_whole_predictor_for_good()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(stateDir);
        var tokenFile = Path.Combine(stateDir, "token");
        await File.WriteAllTextAsync(tokenFile, "s3cret\n");
        string[] args = ["--admin_token_file", tokenFile];

        await using (var server = await RunningServer.StartAsync(args, stateDir: stateDir))
        {
            await server.PostBinaryAsync(Events.SeedBody, "1", extensions: Identity("iris", "v1"));
            await server.PostBinaryAsync(Events.SeedBody, "2", extensions: Identity("iris", "v2"));
            await server.PostBinaryAsync(Events.SeedBody, "3", extensions: Identity("wine", "v1"));

            using (var anonymous = await server.Client.SendAsync(Delete("/v1/metrics/ns/iris/default/v1", null)))
            using (var wrong = await server.Client.SendAsync(Delete("/v1/metrics/ns/iris/default/v1", "guess")))
            {
                Assert.That((anonymous.StatusCode, wrong.StatusCode), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized)));
            }

            using (var one = await server.Client.SendAsync(Delete("/v1/metrics/ns/iris/default/v1", "s3cret")))
            {
                Assert.That(one.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(await one.Content.ReadAsStringAsync(), Is.EqualTo("""{"reset":1}"""));
            }

            var prometheus = await server.PrometheusAsync();
            Assert.That(prometheus.Find("seldon_metric_true_positive_total", ("model_name", "v1"), ("deployment_name", "iris")), Is.Empty, "the reset key's series are gone");
            Assert.That(prometheus.Find("seldon_metric_true_positive_total", ("model_name", "v2")), Is.Not.Empty);

            using (var predictor = await server.Client.SendAsync(Delete("/v1/metrics/ns/iris/default", "s3cret")))
            {
                Assert.That(await predictor.Content.ReadAsStringAsync(), Is.EqualTo("""{"reset":1}"""));
            }

            using var missing = await server.Client.SendAsync(Delete("/v1/metrics/ns/iris/default", "s3cret"));
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

            using var counted = await server.PostBinaryAsync(Events.OneHot(3, (0, 1)), "4", extensions: Identity("iris", "v1"));
            Assert.That(counted.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a reset key counts afresh");
            Assert.That((await server.PrometheusAsync()).Value("seldon_metric_true_positive_total", ("model_name", "v1"), ("deployment_name", "iris"), ("class", "CLASS_2")), Is.Zero);
        }

        await using var restarted = await RunningServer.StartAsync(args, stateDir: stateDir);
        var deployments = (await restarted.MetricsJsonAsync())["deployments"]!.AsArray();
        Assert.That(deployments.Select(d => $"{d!["deployment"]}/{d["model"]}:{d["count"]}"), Is.EqualTo(new[] { "iris/v1:1", "wine/v1:1" }));
    }

    [Test]
    public async Task A_locked_database_answers_503_and_the_server_recovers_when_the_lock_is_released()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        await using var server = await RunningServer.StartAsync(stateDir: stateDir);
        await using (var other = new SqliteConnection($"Data Source={Path.Combine(stateDir, "feedback-metrics.db")};Pooling=False"))
        {
            other.Open();
            using var transaction = other.BeginTransaction(deferred: false);
            using var locked = await server.PostBinaryAsync(Events.SeedBody, "1");
            Assert.That(locked.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await locked.Content.ReadAsStringAsync(), Does.Contain("locked"));
            Assert.That((await server.Client.GetAsync("/ready")).StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        }

        await server.WaitReadyAsync();
        using var accepted = await server.PostBinaryAsync(Events.SeedBody, "1");
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
