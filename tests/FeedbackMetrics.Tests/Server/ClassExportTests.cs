using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>Prometheus stays healthy with many classes, and index classes can carry readable names.</summary>
public sealed class ClassExportTests
{
    private static readonly (string, string) All = ("window", "all");

    [Test]
    public async Task Classes_past_the_export_limit_are_folded_into_other_while_JSON_keeps_them_all()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--max_exported_classes", "3", "--storage_uri", "adserver.cm_models.multiclass_numeric.MultiClassNumeric"]);
        // truth, predicted: (0,0) (1,1) (4,4) (5,4) (6,2) (2,6)
        using var response = await server.PostBinaryAsync("""{"truth": [0, 1, 4, 5, 6, 2], "response": [0, 1, 4, 4, 2, 6]}""", "1");
        Assert.That((int)response.StatusCode, Is.EqualTo(200));

        var prometheus = await server.PrometheusAsync();
        var cells = prometheus.Samples.Where(s => s.Name == "feedback_metrics_confusion_total").ToList();
        Assert.That(cells, Has.Count.EqualTo(16), "(3 + 1)² cells, not 7²");
        Assert.That(prometheus.Value("feedback_metrics_confusion_total", ("true_class", "other"), ("predicted_class", "other")), Is.EqualTo(2), "(4,4) and (5,4)");
        Assert.That(prometheus.Value("feedback_metrics_confusion_total", ("true_class", "other"), ("predicted_class", "CLASS_2")), Is.EqualTo(1), "(6,2)");
        Assert.That(prometheus.Value("feedback_metrics_confusion_total", ("true_class", "CLASS_2"), ("predicted_class", "other")), Is.EqualTo(1), "(2,6)");
        // other: hits 1 (4,4) of predicted 3 (4,4 5,4 2,6) and support 3 (4, 5, 6): micro over the folded classes
        Assert.That(prometheus.Value("feedback_metrics_class_precision_ratio", ("class", "other"), All), Is.EqualTo(1.0 / 3).Within(1e-12));
        Assert.That(prometheus.Value("feedback_metrics_class_support", ("class", "other"), All), Is.EqualTo(3));
        Assert.That(prometheus.Samples.Count(s => s.Name == "seldon_metric_true_positive_total"), Is.EqualTo(7), "Seldon's counters keep every class");
        var json = (await server.MetricsJsonAsync())["deployments"]![0]!;
        Assert.That(json["classes"]!.AsArray(), Has.Count.EqualTo(7));
    }

    [Test]
    public async Task Class_names_label_our_series_and_the_JSON_but_not_Seldons_counters()
    {
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--class_names", "setosa,versicolor,virginica"]);
        using var response = await server.PostBinaryAsync(Events.SeedBody, "1");

        var json = (await server.MetricsJsonAsync())["deployments"]![0]!;
        Assert.That(json["classes"]!.AsArray().Select(c => c!.GetValue<string>()), Is.EqualTo(new[] { "setosa", "versicolor", "virginica" }));
        Assert.That(json["perClass"]![2]!["class"]!.GetValue<string>(), Is.EqualTo("virginica"));
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_class_recall_ratio", ("class", "virginica"), All), Is.EqualTo(1));
        Assert.That(prometheus.Value("seldon_metric_true_positive_total", ("class", "CLASS_2")), Is.EqualTo(1));
    }

    [Test]
    public async Task Class_names_of_one_deployment_come_from_the_rules_file_and_follow_its_changes()
    {
        var rules = Path.Combine(Path.GetTempPath(), $"fm-class-names-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rules, "class_names:\n  seldon/iris: [setosa, versicolor, virginica]\n");
        await using var server = await RunningServer.StartAsync(["--state", "memory", "--alert_rules", rules, "--alert_interval", "00:00:00.100", "--class_names", "a,b,c"]);
        var iris = new Dictionary<string, string> { ["namespace"] = "seldon", ["inferenceservicename"] = "iris" };
        var other = new Dictionary<string, string> { ["namespace"] = "seldon", ["inferenceservicename"] = "other" };
        using (var r = await server.PostBinaryAsync(Events.SeedBody, "1", extensions: iris))
        {
            r.EnsureSuccessStatusCode();
        }

        using (var r = await server.PostBinaryAsync(Events.SeedBody, "2", extensions: other))
        {
            r.EnsureSuccessStatusCode();
        }

        async Task<string[]> ClassesAsync(string deployment) =>
            [.. (await server.MetricsJsonAsync())["deployments"]!.AsArray().Single(d => d!["deployment"]!.GetValue<string>() == deployment)!["classes"]!.AsArray().Select(c => c!.GetValue<string>())];

        Assert.That(await ClassesAsync("iris"), Is.EqualTo(new[] { "setosa", "versicolor", "virginica" }));
        Assert.That(await ClassesAsync("other"), Is.EqualTo(new[] { "a", "b", "c" }), "other deployments keep --class_names");
        var prometheus = await server.PrometheusAsync();
        Assert.That(prometheus.Value("feedback_metrics_class_recall_ratio", ("deployment_name", "iris"), ("class", "virginica"), All), Is.EqualTo(1));
        Assert.That(prometheus.Value("seldon_metric_true_positive_total", ("deployment_name", "iris"), ("class", "CLASS_2")), Is.EqualTo(1), "Seldon's counters keep CLASS_i");

        await File.WriteAllTextAsync(rules, "class_names:\n  \"*/iris\": [small, medium, large]\n");
        for (var i = 0; i < 200 && (await ClassesAsync("iris"))[0] != "small"; i++)
        {
            await Task.Delay(25);
        }

        Assert.That(await ClassesAsync("iris"), Is.EqualTo(new[] { "small", "medium", "large" }), "the file is read again when it changes");
        File.Delete(rules);
    }
}
