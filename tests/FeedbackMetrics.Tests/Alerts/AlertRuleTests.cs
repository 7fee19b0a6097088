using FeedbackMetrics.Core.Alerts;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Tests.Alerts;

public sealed class AlertRuleTests
{
    private static readonly MetricKey Income = new("seldon", "income-v2", "default", "m");

    /// <summary>Figures of a two-class model with <paramref name="count"/> rows of which a share <paramref name="accuracy"/> is right.</summary>
    private static Dictionary<MetricKey, KeyFigures> Figures(long count, double accuracy, long windowCount = 0, double windowAccuracy = 0)
    {
        static FigureSet Set(long n, double a)
        {
            var right = (long)Math.Round(n * a);
            return FigureCalculator.Compute(["CLASS_0", "CLASS_1"], [right, n - right, 0, 0]);
        }

        var windows = new Dictionary<string, FigureSet> { ["last_100"] = Set(windowCount, windowAccuracy) };
        return new() { [Income] = new KeyFigures(Set(count, accuracy), windows) };
    }

    [Test]
    public void A_rules_file_is_read_with_defaults_and_selectors()
    {
        var (rules, _, errors) = AlertRuleFile.Parse(
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
        var (rules, _, errors) = AlertRuleFile.Parse(yaml, []);
        Assert.That(rules, Is.Empty);
        Assert.That(string.Join("; ", errors), Does.Contain(reason));
    }

    [Test]
    public void Class_names_per_deployment_are_read_beside_the_rules_or_alone()
    {
        var (rules, names, errors) = AlertRuleFile.Parse("class_names:\n  seldon/iris: [setosa, versicolor, virginica]\n  \"*/income\": [denied, approved]\n", []);

        Assert.That(errors, Is.Empty);
        Assert.That(rules, Is.Empty, "a file may name classes only");
        Assert.That(names["seldon/iris"], Is.EqualTo(new[] { "setosa", "versicolor", "virginica" }));
        Assert.That(names["*/income"], Is.EqualTo(new[] { "denied", "approved" }));
    }

    [TestCase("class_names: [setosa]", "must map namespace/deployment")]
    [TestCase("class_names: {iris: [setosa]}", "'iris' is not namespace/deployment")]
    [TestCase("class_names: {seldon/iris: setosa}", "must be a list of non-empty names")]
    [TestCase("class_names: {seldon/iris: [a, a]}", "names a class twice")]
    [TestCase("rules: []\nclass_name: {seldon/iris: [a]}", "unknown top-level field 'class_name'")]
    public void Bad_class_names_refuse_the_whole_file_with_a_reason(string yaml, string reason)
    {
        var (rules, names, errors) = AlertRuleFile.Parse(yaml, []);
        Assert.That((rules, names), Is.EqualTo((Array.Empty<AlertRule>(), new Dictionary<string, IReadOnlyList<string>>())).Using<object>((_, _) => rules.Count == 0 && names.Count == 0));
        Assert.That(string.Join("; ", errors), Does.Contain(reason));
    }

    [Test]
    public void An_alert_fires_once_resolves_once_and_does_not_judge_below_its_minimum()
    {
        var rule = new AlertRule("drop", "accuracy", "all", AlertComparison.Below, 0.8, 50, KeySelector.Any);
        var evaluator = new AlertEvaluator();
        var now = DateTimeOffset.UnixEpoch;
        List<AlertTransition> Judge(long count, double accuracy) => evaluator.Evaluate([rule], Figures(count, accuracy), now = now.AddSeconds(5));

        Assert.That(Judge(10, 0.1), Is.Empty, "10 rows are below the minimum of 50: no judgement");
        var fired = Judge(60, 0.7);
        Assert.That(Judge(70, 0.6), Is.Empty, "still firing: no second transition");
        Assert.That(Judge(40, 0.95), Is.Empty, "below the minimum again (a reset model): no flapping");
        var resolved = Judge(80, 0.85);

        Assert.That(fired.Single().Firing, Is.True);
        Assert.That(fired.Single().Reading.Value, Is.EqualTo(0.7));
        Assert.That(resolved.Single().Firing, Is.False);
        Assert.That(resolved.Single().Since, Is.EqualTo(fired.Single().At), "the resolution says since when it fired");
        Assert.That(evaluator.Firing, Is.Empty);
    }

    [Test]
    public void A_rule_removed_from_the_file_resolves_what_it_had_firing()
    {
        var rule = new AlertRule("drop", "accuracy", "all", AlertComparison.Below, 0.8, 1, KeySelector.Any);
        var evaluator = new AlertEvaluator();
        evaluator.Evaluate([rule], Figures(10, 0.5), DateTimeOffset.UnixEpoch);

        var transitions = evaluator.Evaluate([], Figures(10, 0.5), DateTimeOffset.UnixEpoch.AddSeconds(5));

        Assert.That(transitions.Single().Firing, Is.False);
    }

    [Test]
    public void An_interval_rule_fires_only_when_the_windows_interval_lies_wholly_below_the_cumulative_figure()
    {
        var (rules, _, errors) = AlertRuleFile.Parse(
            "rules: [ {name: beyond-noise, metric: accuracy, window: last_100, outside_interval: below, min_observations: 20} ]", ["last_100", "1h"]);
        Assert.That(errors, Is.Empty);
        var evaluator = new AlertEvaluator();
        var now = DateTimeOffset.UnixEpoch;

        // 0.85 on 40 rows: Wilson 95 % interval about 0.71–0.93, which holds the cumulative 0.90: noise, no alert.
        Assert.That(evaluator.Evaluate(rules, Figures(10_000, 0.9, 40, 0.85), now), Is.Empty);

        // 0.72 on 100 rows: interval about 0.63–0.80, wholly below 0.90: fires, saying the interval and the cumulative figure.
        var fired = evaluator.Evaluate(rules, Figures(10_000, 0.9, 100, 0.72), now.AddSeconds(5)).Single();
        Assert.That(fired.Firing, Is.True);
        Assert.That(fired.Reading.Threshold, Is.EqualTo(0.9).Within(1e-12));
        Assert.That(fired.Reading.Interval!.Value.High, Is.LessThan(0.9));
        Assert.That(Wilson.Interval(72, 100), Is.EqualTo(fired.Reading.Interval));

        // 0.86 on 100 rows: interval about 0.78–0.92 holds 0.90 again: resolves.
        Assert.That(evaluator.Evaluate(rules, Figures(10_000, 0.9, 100, 0.86), now.AddSeconds(10)).Single().Firing, Is.False);
    }

    [TestCase("rules: [ {name: a, metric: macro_f1, window: last_100, outside_interval: below} ]", "needs a metric with an interval")]
    [TestCase("rules: [ {name: a, metric: accuracy, outside_interval: below} ]", "compares a window with all rows")]
    [TestCase("rules: [ {name: a, metric: accuracy, window: last_100, outside_interval: sideways} ]", "'below' or 'above'")]
    [TestCase("rules: [ {name: a, metric: accuracy, window: last_100, outside_interval: below, below: 0.5} ]", "exactly one of")]
    public void A_bad_interval_rule_is_refused_with_its_reason(string yaml, string reason)
    {
        var (rules, _, errors) = AlertRuleFile.Parse(yaml, ["last_100"]);
        Assert.That(rules, Is.Empty);
        Assert.That(string.Join("; ", errors), Does.Contain(reason));
    }

    [Test]
    public void A_probabilistic_rule_does_not_judge_a_model_whose_responses_carried_no_probabilities()
    {
        var rule = new AlertRule("calibration", "ece", "all", AlertComparison.Above, 0.01, 1, KeySelector.Any);
        var evaluator = new AlertEvaluator();

        Assert.That(evaluator.Evaluate([rule], Figures(100, 0.5), DateTimeOffset.UnixEpoch), Is.Empty);
        Assert.That(evaluator.Firing, Is.Empty);
    }
}
