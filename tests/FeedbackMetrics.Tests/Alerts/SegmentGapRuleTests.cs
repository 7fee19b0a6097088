using FeedbackMetrics.Core.Alerts;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Segments;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Tests.Alerts;

/// <summary>Segment gap rules: how the rules file reads them and how the evaluator judges a model's segments with them.</summary>
public sealed class SegmentGapRuleTests
{
    private static readonly MetricKey Income = new("seldon", "income", "default", "m");

    private static readonly string[] Segments = ["region", "tags.tenant"];

    private static AlertRule Rule(string yaml)
    {
        var (rules, _, errors) = AlertRuleFile.Parse(yaml, ["last_100"], Segments);
        Assert.That(errors, Is.Empty);
        return rules.Single();
    }

    [Test]
    public void A_segment_gap_rule_is_read_with_its_defaults_and_selector()
    {
        var (rules, _, errors) = AlertRuleFile.Parse(
            """
            rules:
              - name: region-accuracy-gap
                segment_gap: region
                metric: accuracy
                above: 0.1
                min_observations: 100
                selector: {deployment: income}
              - name: tenant-positive-rate-gap
                segment_gap: tags.tenant
                metric: positive_rate
                above: 0.05
                apart: false
                window: all
              - name: accuracy-drop
                metric: accuracy
                below: 0.8
            """,
            ["last_100"],
            Segments);

        Assert.That(errors, Is.Empty);
        Assert.That(rules, Has.Count.EqualTo(3));
        var gap = rules[0];
        Assert.That((gap.Segment, gap.Metric, gap.Window, gap.Comparison, gap.Threshold, gap.RequireApart, gap.MinObservations), Is.EqualTo(("region", "accuracy", "all", AlertComparison.SegmentGapAbove, 0.1, true, 100L)));
        Assert.That((gap.AppliesTo(Income), gap.AppliesTo(Income with { Deployment = "iris" })), Is.EqualTo((true, false)));
        Assert.That((rules[1].Segment, rules[1].Metric, rules[1].RequireApart, rules[1].MinObservations), Is.EqualTo(("tags.tenant", "positive_rate", false, 1L)));
        Assert.That((rules[2].IsSegmentGapRule, rules[2].RequireApart), Is.EqualTo((false, true)), "a figure rule is untouched");
    }

    [TestCase("{name: a, segment_gap: country, metric: accuracy, above: 0.1}", "segment_gap 'country' is not one of --segment_by (region, tags.tenant)")]
    [TestCase("{name: a, segment_gap: region, metric: macro_f1, above: 0.1}", "metric 'macro_f1' has no segment gap; a segment_gap rule watches one of accuracy, recall, precision, positive_rate")]
    [TestCase("{name: a, segment_gap: region, metric: positiveRate, above: 0.1}", "metric 'positiveRate' has no segment gap")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy}", "needs 'above'")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy, below: 0.1}", "give 'above', not 'below'")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy, outside_interval: below}", "give 'above', not 'outside_interval'")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy, above: 1.5}", "at least 0 and below 1")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy, above: wide}", "above must be a number")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy, above: 0.1, apart: maybe}", "apart is true or false")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy, above: 0.1, window: last_100}", "segment gaps are over all rows")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy, above: 0.1, min_observations: 0}", "min_observations must be a whole number")]
    [TestCase("{name: a, segment_gap: region, metric: accuracy, above: 0.1, segment: region}", "unknown field 'segment'")]
    [TestCase("{name: a, metric: accuracy, below: 0.8, apart: true}", "unknown field 'apart'")]
    public void A_bad_segment_gap_rule_refuses_the_whole_file_and_says_why(string rule, string reason)
    {
        var (rules, _, errors) = AlertRuleFile.Parse($"rules:\n  - {{name: good, metric: accuracy, below: 0.8}}\n  - {rule}\n", ["last_100"], Segments);

        Assert.That(rules, Is.Empty, "the last good rules stay in force");
        Assert.That(errors, Has.Some.StartsWith("rule 'a': ").And.Contains(reason), string.Join("; ", errors));
    }

    [Test]
    public void A_segment_gap_rule_without_segment_by_says_to_set_it()
    {
        var (rules, _, errors) = AlertRuleFile.Parse("rules: [ {name: a, segment_gap: region, metric: accuracy, above: 0.1} ]", []);

        Assert.That(rules, Is.Empty);
        Assert.That(errors.Single(), Is.EqualTo("rule 'a': segment_gap 'region' needs segments, and --segment_by is not set: start the server with --segment_by region"));
    }

    [Test]
    public void A_gap_fires_naming_both_values_once_both_rest_on_the_minimum_and_resolves_when_it_closes()
    {
        var rule = Rule("rules: [ {name: region-accuracy-gap, segment_gap: region, metric: accuracy, above: 0.1, min_observations: 100} ]");
        var model = new SegmentedModel();
        var evaluator = new AlertEvaluator();
        var now = DateTimeOffset.UnixEpoch;
        List<AlertTransition> Judge() => evaluator.Evaluate([rule], [model.View()], now = now.AddSeconds(5));

        model.Add("us", right: 190, wrong: 10).Add("eu", right: 30, wrong: 30);
        Assert.That(Judge(), Is.Empty, "eu rests on 60 rows, fewer than 100: not judged");

        model.Add("eu", right: 40, wrong: 40).Add("asia", right: 0, wrong: 5);
        var fired = Judge().Single();
        Assert.That(fired.Firing, Is.True);
        Assert.That(fired.Reading.Gap, Is.EqualTo(new SegmentGapReading("region", "us", 0.95, 200, "eu", 0.5, 140, 0.95 - 0.5, true)),
            "asia, at 0 on 5 rows, is left out: too few rows to stand for a value");
        Assert.That((fired.Reading.Value, fired.Reading.Rows, fired.Reading.Threshold), Is.EqualTo((0.95 - 0.5, 140L, 0.1)));
        Assert.That(Judge(), Is.Empty, "still firing: no second transition");

        model.Add("eu", right: 600, wrong: 20);
        var resolved = Judge().Single();
        Assert.That(resolved.Firing, Is.False);
        Assert.That(resolved.Since, Is.EqualTo(fired.At));
        Assert.That((resolved.Reading.Gap!.MaxValue, resolved.Reading.Gap.MinValue, resolved.Reading.Gap.MinRows), Is.EqualTo(("us", "eu", 760L)));
        Assert.That(resolved.Reading.Value, Is.EqualTo(0.95 - (670.0 / 760)).Within(1e-12), "eu at 670/760 (0.88) is within 0.1 of us");
        Assert.That(evaluator.Firing, Is.Empty);
    }

    [Test]
    public void A_gap_within_the_noise_of_its_rows_fires_only_when_the_rule_does_not_ask_for_apart()
    {
        // 24/30 against 18/30: a gap of 0.2, but Wilson intervals of about 0.63–0.90 and 0.42–0.75 overlap.
        var model = new SegmentedModel().Add("us", right: 24, wrong: 6).Add("eu", right: 18, wrong: 12);
        var apart = Rule("rules: [ {name: gap, segment_gap: region, metric: accuracy, above: 0.1, min_observations: 30} ]");
        var any = Rule("rules: [ {name: gap, segment_gap: region, metric: accuracy, above: 0.1, min_observations: 30, apart: false} ]");

        Assert.That(new AlertEvaluator().Evaluate([apart], [model.View()], DateTimeOffset.UnixEpoch), Is.Empty);
        var fired = new AlertEvaluator().Evaluate([any], [model.View()], DateTimeOffset.UnixEpoch).Single();
        Assert.That((fired.Firing, fired.Reading.Gap!.Apart, fired.Reading.Value), Is.EqualTo((true, false, (24.0 / 30) - (18.0 / 30))));
    }

    [Test]
    public void A_positive_rate_gap_reads_the_share_predicted_positive_per_value()
    {
        // eu: 80 of 100 rows predicted positive; us: 20 of 100. Accuracy is 0.5 in both: no accuracy gap at all.
        var model = new SegmentedModel()
            .Add("eu", right: 0, wrong: 0, positives: (40, 40), negatives: (10, 10))
            .Add("us", right: 0, wrong: 0, positives: (10, 10), negatives: (40, 40));
        var rate = Rule("rules: [ {name: gap, segment_gap: region, metric: positive_rate, above: 0.3} ]");
        var accuracy = Rule("rules: [ {name: acc, segment_gap: region, metric: accuracy, above: 0.01} ]");

        var fired = new AlertEvaluator().Evaluate([rate, accuracy], [model.View()], DateTimeOffset.UnixEpoch).Single();

        Assert.That(fired.Rule.Name, Is.EqualTo("gap"));
        Assert.That(fired.Reading.Gap, Is.EqualTo(new SegmentGapReading("region", "eu", 0.8, 100, "us", 0.2, 100, 0.8 - 0.2, true)));
    }

    [Test]
    public void A_model_without_segments_or_with_one_value_is_not_judged_and_a_figure_rule_still_is()
    {
        var gap = Rule("rules: [ {name: gap, segment_gap: region, metric: accuracy, above: 0.1} ]");
        var drop = Rule("rules: [ {name: drop, metric: accuracy, below: 0.8} ]");
        var evaluator = new AlertEvaluator();

        var transitions = evaluator.Evaluate([gap, drop], [new SegmentedModel().Add("eu", right: 0, wrong: 50).View()], DateTimeOffset.UnixEpoch);

        Assert.That(transitions.Single().Rule.Name, Is.EqualTo("drop"));
        Assert.That(evaluator.Evaluate([gap], new Dictionary<MetricKey, KeyFigures>(), DateTimeOffset.UnixEpoch).Single().Firing, Is.False, "the figure rule resolves once it leaves");
    }

    /// <summary>A two-class model counted per region as the engine counts it: rows into the model and into its segment value.</summary>
    private sealed class SegmentedModel
    {
        private static readonly string[] Classes = ["CLASS_0", "CLASS_1"];
        private readonly KeyAggregate _aggregate = new(Income, [], TimeProvider.System);
        private long _sequence;

        /// <summary>
        /// Counts rows of <paramref name="region"/>: <paramref name="right"/> truth 1 predicted 1, <paramref name="wrong"/>
        /// truth 0 predicted 1, and optionally (truth 1, truth 0) counts predicted positive and predicted negative.
        /// </summary>
        public SegmentedModel Add(string region, int right, int wrong, (int Truth1, int Truth0) positives = default, (int Truth1, int Truth0) negatives = default)
        {
            var rows = new List<CountedRow>();
            void Rows(int count, int truth, int predicted) => rows.AddRange(Enumerable.Range(0, count).Select(_ => new CountedRow(new RowStamp(_sequence++, DateTimeOffset.UnixEpoch), new WindowRow(truth, predicted))));
            Rows(right, 1, 1);
            Rows(wrong, 0, 1);
            Rows(positives.Truth1, 1, 1);
            Rows(positives.Truth0, 0, 1);
            Rows(negatives.Truth1, 1, 0);
            Rows(negatives.Truth0, 0, 0);
            _aggregate.Count(Classes, [.. rows], null, [new SegmentValue("region", region)]);
            return this;
        }

        public KeyView View() => _aggregate.View();
    }
}
