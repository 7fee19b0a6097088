using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Server;

/// <summary>
/// What a real scrape shows is what the family table (and so docs/metrics.md) says: every family with the table's
/// type and help, every sample's labels among the table's, every label of the table seen.
/// </summary>
public sealed class MetricFamilyTests
{
    private static readonly Dictionary<string, string> Income = new() { ["namespace"] = "seldon", ["inferenceservicename"] = "income", ["endpoint"] = "default", ["modelid"] = "m" };
    private static readonly Dictionary<string, string> Iris = new() { ["namespace"] = "seldon", ["inferenceservicename"] = "iris", ["endpoint"] = "default", ["modelid"] = "m" };

    [Test]
    public async Task A_scrape_of_a_busy_server_shows_every_family_as_the_table_describes_it()
    {
        var rules = Path.Combine(Path.GetTempPath(), $"fm-family-rules-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - {name: accuracy-drop, metric: accuracy, below: 0.9, min_observations: 1}\n");
        await using var server = await RunningServer.StartAsync(
            ["--deployment_decoders", "seldon/income=BinaryMetrics", "--alert_rules", rules, "--alert_interval", "00:00:00.100"]);

        // A multiclass model with probabilities, a reward and a wrong row; a binary model; a join with a relabel; an
        // event of a type nobody handles; a malformed one.
        await PostAsync(server, """{"response": {"data": {"ndarray": [[0.1,0.2,0.7],[0.6,0.3,0.1]]}}, "truth": {"data": {"ndarray": [[0,0,1],[0,1,0]]}}, "reward": 1}""", "1");
        await PostAsync(server, """{"response": {"data": {"ndarray": [0.7]}}, "truth": {"data": {"ndarray": [0]}}}""", "2", extensions: Income);
        await PostAsync(server, """{"data": {"ndarray": [[0.2,0.8]]}}""", "3", "io.seldon.serving.inference.response", With(Iris, "r1"));
        await PostAsync(server, """{"data": {"ndarray": [[0.9,0.1]]}}""", "4", "io.seldon.serving.inference.response", With(Iris, "r2"));
        await PostAsync(server, """{"truth": {"data": {"ndarray": [[0,1]]}}}""", "5", extensions: With(Iris, "r1"));
        await PostAsync(server, """{"truth": {"data": {"ndarray": [[1,0]]}}}""", "6", extensions: With(Iris, "r1"));
        await PostAsync(server, "{}", "7", "io.seldon.serving.feedbak");
        using (var bad = await server.PostBinaryAsync("not json", "8"))
        {
            Assert.That((int)bad.StatusCode, Is.EqualTo(400));
        }

        var scrape = await ScrapeWhenAsync(server, s => s.Samples.Any(x => x.Name == MetricFamilies.AlertFiring.Name));
        var table = MetricFamilies.All.ToDictionary(f => f.Name);
        Assert.Multiple(() =>
        {
            foreach (var (name, type) in scrape.Types)
            {
                Assert.That(table.TryGetValue(name, out var family), Is.True, $"{name} is in the family table");
                Assert.That(type, Is.EqualTo(family?.TypeName), $"type of {name}");
                Assert.That(scrape.Helps[name], Is.EqualTo(family?.Help), $"help of {name}");
            }

            var seen = new Dictionary<string, HashSet<string>>();
            foreach (var sample in scrape.Samples)
            {
                var family = FamilyOf(sample.Name, table);
                Assert.That(family, Is.Not.Null, $"sample {sample.Name} belongs to a family of the table");
                var labels = sample.Labels.Keys.Where(l => !(family!.Type == MetricType.Histogram && l == "le")).ToList();
                Assert.That(labels, Is.SubsetOf(family!.Labels), $"labels of {sample.Name}");
                (seen.TryGetValue(family.Name, out var set) ? set : seen[family.Name] = []).UnionWith(labels);
            }

            foreach (var (name, labels) in seen)
            {
                Assert.That(labels, Is.EquivalentTo(table[name].Labels), $"every label of {name} shows in some sample");
            }

            // Only the Redis store's exporter gauge is missing from a SQLite server's scrape.
            Assert.That(table.Keys.Except(scrape.Types.Keys), Is.EquivalentTo(new[] { MetricFamilies.ModelSeriesExporter.Name }));
        });
    }

    [Test]
    [Category("Redis")]
    public async Task The_exporter_lease_gauge_of_a_replica_on_Redis_is_the_tables()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await RunningServer.StartAsync(["--state", redis.Url]);
        var scrape = await ScrapeWhenAsync(server, s => s.Value(MetricFamilies.ModelSeriesExporter.Name) == 1);
        var family = MetricFamilies.ModelSeriesExporter;
        Assert.That((scrape.Types[family.Name], scrape.Helps[family.Name]), Is.EqualTo((family.TypeName, family.Help)));
    }

    private static MetricFamily? FamilyOf(string sample, Dictionary<string, MetricFamily> table)
    {
        if (table.TryGetValue(sample, out var family))
        {
            return family;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && table.TryGetValue(sample[..^suffix.Length], out family) && family.Type == MetricType.Histogram)
            {
                return family;
            }
        }

        return null;
    }

    private static Dictionary<string, string> With(Dictionary<string, string> identity, string requestId) => new(identity) { ["requestid"] = requestId };

    private static async Task PostAsync(RunningServer server, string body, string id, string type = Events.FeedbackType, Dictionary<string, string>? extensions = null)
    {
        using var response = await server.PostBinaryAsync(body, id, type, extensions: extensions);
        Assert.That((int)response.StatusCode, Is.AnyOf(200, 202), $"event {id}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Scrapes until the condition holds (alerts are judged on a timer), with a generous deadline.</summary>
    private static async Task<PrometheusText> ScrapeWhenAsync(RunningServer server, Func<PrometheusText, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var scrape = await server.PrometheusAsync();
            if (condition(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(50);
        }
    }
}
