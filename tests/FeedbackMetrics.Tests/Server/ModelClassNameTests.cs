using System.Text.Json.Nodes;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// Seldon's <c>data.names</c> of a response name CLASS_0, CLASS_1, … in the JSON view (and so the web view); Seldon's
/// counters and our Prometheus series keep CLASS_i. Replayed from the Seldon executor's and Python wrapper's bytes.
/// </summary>
public sealed class ModelClassNameTests
{
    private static readonly string[] Iris = ["setosa", "versicolor", "virginica"];
    private static readonly string[] Indexes = ["CLASS_0", "CLASS_1", "CLASS_2"];

    [Test]
    public async Task The_names_of_a_response_are_the_classes_of_the_json_its_per_class_figures_and_windows_while_prometheus_keeps_CLASS_i()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        Assert.That(await SendAsync(server, RealSenderFixture.Load("seldon-executor/feedback-class-names-python-wrapper")), Is.EqualTo(200));

        var d = await DeploymentAsync(server);
        Assert.That(Strings(d["classes"]), Is.EqualTo(Iris));
        Assert.That(d["perClass"]!.AsArray().Select(c => c!["class"]!.GetValue<string>()), Is.EqualTo(Iris));
        foreach (var (name, window) in d["windows"]!.AsObject())
        {
            Assert.That(window!["perClass"]!.AsArray().Select(c => c!["class"]!.GetValue<string>()), Is.EqualTo(Iris), name);
        }

        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("seldon_metric_false_negative_total", ("class", "CLASS_2")), Is.EqualTo(1), "Seldon's counters keep CLASS_i");
        Assert.That(prometheus.Value("seldon_metric_false_positive_total", ("class", "CLASS_1")), Is.EqualTo(1));
        Assert.That(prometheus.Value("feedback_metrics_class_support", ("class", "CLASS_2"), ("window", "all")), Is.EqualTo(1), "our series too: a sender's names would start new series whenever they changed");
        Assert.That(prometheus.Samples.Where(s => s.Labels.Values.Any(Iris.Contains)), Is.Empty);
    }

    [Test]
    public async Task Seldons_placeholder_names_and_names_that_do_not_match_the_columns_leave_CLASS_i()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        Assert.That(await SendAsync(server, RealSenderFixture.Load("seldon-executor/feedback-tensor-two-rows")), Is.EqualTo(200), "names t:0, t:1, t:2");
        using (var two = await server.PostBinaryAsync("""{"response": {"data": {"names": ["a", "b"], "ndarray": [[0.1, 0.2, 0.7]]}}, "truth": {"data": {"ndarray": [[0, 0, 1]]}}}""", "two-names"))
        {
            Assert.That((int)two.StatusCode, Is.EqualTo(200), "two names for three columns: counted, names not used");
        }

        var deployments = (await server.MetricsJsonAsync())["deployments"]!.AsArray();
        Assert.That(deployments, Has.Count.EqualTo(2));
        Assert.That(deployments.Select(d => Strings(d!["classes"])), Has.All.EqualTo(Indexes));
    }

    [Test]
    public async Task The_latest_names_win_and_a_response_without_names_keeps_them()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        await PostAsync(server, "1", ["setosa", "versicolor", "virginica"]);
        await PostAsync(server, "2", ["small", "medium", "large"]);
        Assert.That(Strings((await DeploymentAsync(server))["classes"]), Is.EqualTo(new[] { "small", "medium", "large" }), "the model as it is now");

        await PostAsync(server, "3", null);
        var d = await DeploymentAsync(server);
        Assert.That(Strings(d["classes"]), Is.EqualTo(new[] { "small", "medium", "large" }));
        Assert.That(d["count"]!.GetValue<long>(), Is.EqualTo(3), "every event counted in the same columns");
    }

    [Test]
    public async Task Names_a_logged_response_brings_show_in_the_json_at_once_though_the_models_counts_did_not_move()
    {
        // The JSON view keeps each model's object while the model does not change; names are kept beside the counts,
        // so a response that only names the classes (pending in the join, nothing counted) must still show.
        await using var server = await RunningServer.StartAsync(["--state", "memory"]);
        await PostAsync(server, "1", null);
        var before = await server.Client.GetStringAsync("/v1/metrics?format=json");
        Assert.That(await server.Client.GetStringAsync("/v1/metrics?format=json"), Is.EqualTo(before), "an unchanged model reads the same");
        Assert.That(Strings((await DeploymentAsync(server))["classes"]), Is.EqualTo(Indexes));

        // As the Seldon executor logs a response of a model whose class defines class_names() (response-class-names-python-wrapper).
        using (var logged = await server.PostBinaryAsync(
            """{"data": {"names": ["setosa", "versicolor", "virginica"], "ndarray": [[0.1, 0.2, 0.7]]}, "meta": {}}""",
            "response-1", "io.seldon.serving.inference.response", "http://:8000/", new Dictionary<string, string> { ["requestid"] = "request-1" }))
        {
            Assert.That((int)logged.StatusCode, Is.EqualTo(202), await logged.Content.ReadAsStringAsync());
        }

        var d = await DeploymentAsync(server);
        Assert.That(Strings(d["classes"]), Is.EqualTo(Iris));
        Assert.That(d["count"]!.GetValue<long>(), Is.EqualTo(1), "the response is pending: nothing more counted");
        Assert.That(d["perClass"]!.AsArray().Select(c => c!["class"]!.GetValue<string>()), Is.EqualTo(Iris));
    }

    [Test]
    public async Task Names_an_operator_configured_win_over_the_names_of_the_responses()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--class_names", "a,b"]);
        await PostAsync(server, "1", Iris);
        Assert.That(Strings((await DeploymentAsync(server))["classes"]), Is.EqualTo(new[] { "a", "b", "virginica" }), "--class_names names CLASS_0 and CLASS_1; the response names the rest");
    }

    [Test]
    public async Task A_name_that_would_make_two_classes_look_alike_is_not_used()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--storage_uri", "adserver.cm_models.multiclass_numeric.MultiClassNumeric"]);
        using (var label = await server.PostBinaryAsync("""{"response": {"data": {"ndarray": ["setosa"]}}, "truth": {"data": {"ndarray": ["setosa"]}}}""", "label"))
        {
            Assert.That((int)label.StatusCode, Is.EqualTo(200));
        }

        await PostAsync(server, "named", Iris);
        Assert.That(Strings((await DeploymentAsync(server))["classes"]), Is.EqualTo(new[] { "setosa", "CLASS_0", "CLASS_1", "CLASS_2" }), "the label setosa and CLASS_0 stay apart");
    }

    [Test]
    public async Task Names_survive_a_restart_with_the_counts()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using (var first = await RunningServer.StartAsync(stateDir: stateDir))
            {
                Assert.That(await SendAsync(first, RealSenderFixture.Load("seldon-executor/feedback-class-names-python-wrapper")), Is.EqualTo(200));
            }

            await using var second = await RunningServer.StartAsync(stateDir: stateDir);
            var d = await DeploymentAsync(second);
            Assert.That(Strings(d["classes"]), Is.EqualTo(Iris));
            Assert.That(d["count"]!.GetValue<long>(), Is.EqualTo(2));
        }
        finally
        {
            Directory.Delete(stateDir, recursive: true);
        }
    }

    [Test]
    public async Task The_names_of_a_logged_response_name_the_rows_its_later_truth_counts_also_after_a_restart()
    {
        var stateDir = Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using (var first = await RunningServer.StartAsync(stateDir: stateDir))
            {
                Assert.That(await SendAsync(first, RealSenderFixture.Load("seldon-executor/response-class-names-python-wrapper")), Is.EqualTo(202));
                var joined = await JoinReplicas.SendTruthAsync(first.Client, "seldon", "iris", """{"truth": {"data": {"ndarray": [[0, 1, 0]]}}}""", "iris-17", "label-1");
                Assert.That(joined.Status, Is.EqualTo(200), joined.Body);
                Assert.That(Strings((await DeploymentAsync(first))["classes"]), Is.EqualTo(Iris));
            }

            await using var second = await RunningServer.StartAsync(stateDir: stateDir);
            var d = await DeploymentAsync(second);
            Assert.That(Strings(d["classes"]), Is.EqualTo(Iris), "kept with the counts the join made");
            Assert.That(d["accuracy"]!.GetValue<double>(), Is.EqualTo(1));
        }
        finally
        {
            Directory.Delete(stateDir, recursive: true);
        }
    }

    private static async Task PostAsync(RunningServer server, string id, string[]? names)
    {
        var namesJson = names is null ? "" : $"\"names\": [{string.Join(", ", names.Select(n => $"\"{n}\""))}], ";
        var body = "{\"response\": {\"data\": {" + namesJson + "\"ndarray\": [[0.1, 0.2, 0.7]]}}, \"truth\": {\"data\": {\"ndarray\": [[0, 0, 1]]}}}";
        using var response = await server.PostBinaryAsync(body, id);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
    }

    private static async Task<int> SendAsync(RunningServer server, RealSenderFixture fixture)
    {
        using var request = fixture.ToRequest();
        using var response = await server.Client.SendAsync(request);
        return (int)response.StatusCode;
    }

    private static async Task<JsonNode> DeploymentAsync(RunningServer server) =>
        (await server.MetricsJsonAsync())["deployments"]!.AsArray().Single()!;

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(c => c!.GetValue<string>())];
}
