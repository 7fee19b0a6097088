using FeedbackMetrics.Core.Alerts;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Tests.Alerts;

public sealed class AlertRuleTests
{
    private static readonly MetricKey Income = new("seldon", "income-v2", "default", "m");

    private static KeySummary Summary(long count, double accuracy) =>
        new("seldon", "income-v2", "default", "m", [], count, accuracy, [], [], new(0, 0, 0), new(0, 0, 0), new(0, 0, 0), null);

    [Test]
    public void A_rules_file_is_read_with_defaults_and_selectors()
    {
        var (rules, errors) = AlertRuleFile.Parse(
            """
            rules:
              - name: accuracy-drop
                metric: accuracy
                below: 0.8
                min_observations: 50
                selector: {namespace: seldon, deployment: "income-*"}
              - name: errors
                metric: error_rate
                above: 0.3
            """,
            []);

        Assert.That(errors, Is.Empty);
        Assert.That(rules, Has.Count.EqualTo(2));
        Assert.That((rules[0].Window, rules[0].Comparison, rules[0].Threshold, rules[0].MinObservations), Is.EqualTo(("all", AlertComparison.Below, 0.8, 50L)));
        Assert.That(rules[0].AppliesTo(Income), Is.True);
        Assert.That(rules[0].AppliesTo(Income with { Deployment = "iris" }), Is.False);
        Assert.That((rules[1].Comparison, rules[1].MinObservations, rules[1].AppliesTo(Income with { Namespace = "x" })), Is.EqualTo((AlertComparison.Above, 1L, true)));
    }

    [TestCase("rules: [ {name: a, metric: accurcy, below: 0.8} ]", "metric 'accurcy'")]
    [TestCase("rules: [ {name: a, metric: accuracy, below: 0.8, above: 0.9} ]", "exactly one of")]
    [TestCase("rules: [ {name: a, metric: accuracy, below: high} ]", "must be a number")]
    [TestCase("rules: [ {name: a, metric: accuracy, below: 0.8, window: 1h} ]", "window '1h'")]
    [TestCase("rules: [ {name: a, metric: accuracy, below: 0.8}, {name: a, metric: accuracy, below: 0.7} ]", "used twice")]
    [TestCase("rules: [ {name: a, metric: accuracy, below: 0.8, min_observations: 0.5} ]", "min_observations")]
    [TestCase("rules: [ {name: a, metric: accuracy, below: 0.8, colour: red} ]", "unknown field 'colour'")]
    [TestCase("rules: [ {name: a, metric: accuracy, below: 0.8, selector: {team: x}} ]", "unknown field 'team'")]
    [TestCase("rules: [ {name: a", "not valid YAML")]
    [TestCase("- just a list", "mapping")]
    public void A_bad_rules_file_yields_no_rules_and_says_what_is_wrong(string yaml, string reason)
    {
        var (rules, errors) = AlertRuleFile.Parse(yaml, []);
        Assert.That(rules, Is.Empty);
        Assert.That(string.Join("; ", errors), Does.Contain(reason));
    }

    [Test]
    public void An_alert_fires_once_resolves_once_and_does_not_judge_below_its_minimum()
    {
        var rule = new AlertRule("drop", "accuracy", "all", AlertComparison.Below, 0.8, 50, KeySelector.Any);
        var evaluator = new AlertEvaluator();
        var now = DateTimeOffset.UnixEpoch;
        List<AlertTransition> Judge(long count, double accuracy) => evaluator.Evaluate([rule], [Income], (_, _) => Summary(count, accuracy), now = now.AddSeconds(5));

        Assert.That(Judge(10, 0.1), Is.Empty, "10 rows are below the minimum of 50: no judgement");
        var fired = Judge(60, 0.7);
        Assert.That(Judge(70, 0.6), Is.Empty, "still firing: no second transition");
        Assert.That(Judge(40, 0.95), Is.Empty, "below the minimum again (a reset model): no flapping");
        var resolved = Judge(80, 0.85);

        Assert.That(fired.Single().Firing, Is.True);
        Assert.That(fired.Single().Value, Is.EqualTo(0.7));
        Assert.That(resolved.Single().Firing, Is.False);
        Assert.That(resolved.Single().Since, Is.EqualTo(fired.Single().At), "the resolution says since when it fired");
        Assert.That(evaluator.Firing, Is.Empty);
    }

    [Test]
    public void A_rule_removed_from_the_file_resolves_what_it_had_firing()
    {
        var rule = new AlertRule("drop", "accuracy", "all", AlertComparison.Below, 0.8, 1, KeySelector.Any);
        var evaluator = new AlertEvaluator();
        evaluator.Evaluate([rule], [Income], (_, _) => Summary(10, 0.5), DateTimeOffset.UnixEpoch);

        var transitions = evaluator.Evaluate([], [Income], (_, _) => Summary(10, 0.5), DateTimeOffset.UnixEpoch.AddSeconds(5));

        Assert.That(transitions.Single().Firing, Is.False);
    }
}
