using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Deploy;

/// <summary>The rules and the server's exposition, checked and unit-tested by Debian's promtool.</summary>
[Category("Deploy")]
public sealed class PromtoolTests
{
    public static void CheckRules(string rulesYaml, string where)
    {
        var file = Path.Combine(Path.GetTempPath(), $"fm-rules-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, rulesYaml);
        var (code, output) = Binaries.Run(Tools.Promtool, "check", "rules", file);
        File.Delete(file);
        Assert.That(code, Is.Zero, $"{where}: promtool check rules:\n{output}");
    }

    [Test]
    public void Rule_file_passes_promtool_check_rules()
    {
        var output = Tools.RunOk(Tools.Promtool, "check", "rules", Tools.InRepo("deploy", "prometheus", "feedback-metrics.rules.yaml"));
        Assert.That(output, Does.Contain("SUCCESS: 11 rules found"));
    }

    [Test]
    public void Every_rule_and_alert_passes_its_promtool_unit_tests()
    {
        var tests = Tools.InRepo("deploy", "prometheus", "feedback-metrics.rules.test.yaml");
        var text = File.ReadAllText(tests);
        var rules = File.ReadAllText(Tools.InRepo("deploy", "prometheus", "feedback-metrics.rules.yaml"));
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(rules, "(?:record|alert): (\\S+)").Select(m => m.Groups[1].Value))
        {
            Assert.That(text, Does.Contain(name), $"{name} has a unit test");
        }

        Assert.That(Tools.RunOk(Tools.Promtool, "test", "rules", tests), Does.Contain("SUCCESS"));
    }

    [Test]
    public async Task Server_exposition_passes_promtool_check_metrics_without_warnings()
    {
        await using var server = await RunningServer.StartAsync(["--storage_uri", "adserver.cm_models.multiclass_one_hot.MulticlassOneHot"]);
        await server.PostBinaryAsync(Events.OneHot(3, (0, 0), (1, 2), (2, 2)), "1");
        await server.PostBinaryAsync(Events.SeedBody, "1");
        await server.PostBinaryAsync("not json", "2");
        var exposition = await server.Client.GetStringAsync("/v1/metrics");

        var file = Path.Combine(Path.GetTempPath(), $"fm-metrics-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, exposition);
        var (code, output) = Binaries.Run("bash", "-c", $"{Tools.Promtool} check metrics < {file}");
        File.Delete(file);
        Assert.That(code, Is.Zero, output);
        Assert.That(output.Trim(), Is.Empty, "no warnings");
    }
}
