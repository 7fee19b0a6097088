using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Tests.Core;

/// <summary>ROC AUC, average precision and the threshold sweep of one set of sums, against scikit-learn's definitions.</summary>
public sealed class StatisticsRankTests
{
    [Test]
    public void Roc_auc_and_average_precision_match_the_worked_examples_of_scikit_learn()
    {
        // sklearn's docstrings: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75 and
        // average_precision_score(same) = 0.8333…; the scores are the second class's.
        var figures = Sum((0, [0.9, 0.1]), (0, [0.6, 0.4]), (1, [0.65, 0.35]), (1, [0.2, 0.8])).ToFigures()!;
        Assert.That(figures.RocAuc, Is.EqualTo(0.75).Within(1e-12));
        Assert.That(figures.AveragePrecision, Is.EqualTo(0.8333333333333333).Within(1e-12));
    }

    [Test]
    public void Equal_scores_count_as_scikit_learn_counts_ties()
    {
        // Two positives and two negatives all at 0.5: AUC 0.5; AP is the precision after the whole tie, 0.5.
        var tied = Sum((0, [0.5, 0.5]), (1, [0.5, 0.5]), (0, [0.5, 0.5]), (1, [0.5, 0.5])).ToFigures()!;
        Assert.That((tied.RocAuc, tied.AveragePrecision), Is.EqualTo(((double?)0.5, (double?)0.5)));

        // Scores exactly 1 (a saturated float32 model) are one tie too.
        var saturated = Sum((1, [0, 1]), (0, [0, 1]), (1, [0, 1]), (0, [0.9, 0.1])).ToFigures()!;
        var exact = ExactRanking.Of([(1, [0, 1]), (0, [0, 1]), (1, [0, 1]), (0, [0.9, 0.1])]);
        Assert.That((saturated.RocAuc, saturated.AveragePrecision), Is.EqualTo(exact));
    }

    [Test]
    public void Without_positives_or_negatives_there_is_no_ranking_figure()
    {
        var figures = Sum((1, [0.3, 0.7]), (1, [0.6, 0.4])).ToFigures()!;
        Assert.That((figures.RocAuc, figures.AveragePrecision), Is.EqualTo(((double?)null, (double?)null)));
    }

    [Test]
    public void Past_two_classes_the_figures_are_one_vs_rest_macro_averages_over_the_classes_with_positives_and_negatives()
    {
        // Class 2 is never true: it has no positives and is left out of the average, as scikit-learn leaves out
        // labels absent from y_true.
        (int, double[])[] rows = [(0, [0.7, 0.2, 0.1]), (1, [0.2, 0.5, 0.3]), (0, [0.4, 0.4, 0.2]), (1, [0.5, 0.3, 0.2]), (0, [0.1, 0.6, 0.3])];
        var figures = Sum(rows).ToFigures()!;
        var zero = ExactRanking.Binary([.. rows.Select(r => (r.Item1 == 0, r.Item2[0]))]);
        var one = ExactRanking.Binary([.. rows.Select(r => (r.Item1 == 1, r.Item2[1]))]);
        Assert.That(figures.RocAuc, Is.EqualTo((zero.Auc + one.Auc) / 2).Within(1e-12));
        Assert.That(figures.AveragePrecision, Is.EqualTo((zero.Ap + one.Ap) / 2).Within(1e-12));
        Assert.That(figures.Thresholds, Is.Null, "the threshold sweep is for two classes");
    }

    [TestCase(ScoreKind.Realistic, 11)]
    [TestCase(ScoreKind.Confident, 12)]
    [TestCase(ScoreKind.Weak, 13)]
    [TestCase(ScoreKind.Saturated, 14)]
    public void The_threshold_sweep_is_exact_and_names_the_threshold_with_the_best_f1(ScoreKind kind, int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, 2000).Select(_ => ScoreStreams.Next(random, 2, kind)).ToList();
        var figures = Sum([.. rows]).ToFigures()!;
        Assert.That(figures.Thresholds, Has.Length.EqualTo(19));
        var best = (Threshold: 0.0, F1: -1.0);
        for (var step = 1; step <= 19; step++)
        {
            var at = figures.Thresholds![step - 1];
            var expected = ExactRanking.At(rows, step / 20.0);
            Assert.That(at.Threshold, Is.EqualTo(step / 20.0));
            Assert.That((at.Precision, at.Recall, at.F1, at.FalsePositiveRate), Is.EqualTo(expected).Within(1e-12), $"threshold {at.Threshold}");
            best = expected.F1 > best.F1 ? (at.Threshold, expected.F1) : best;
        }

        Assert.That(figures.BestF1Threshold, Is.EqualTo(best.Threshold));
    }

    [TestCase(2, ScoreKind.Realistic)]
    [TestCase(2, ScoreKind.Confident)]
    [TestCase(2, ScoreKind.Weak)]
    [TestCase(2, ScoreKind.RareClass)]
    [TestCase(2, ScoreKind.Saturated)]
    [TestCase(3, ScoreKind.Realistic)]
    [TestCase(3, ScoreKind.RareClass)]
    [TestCase(10, ScoreKind.Weak)]
    [TestCase(10, ScoreKind.Confident)]
    [TestCase(20, ScoreKind.Realistic)]
    [TestCase(32, ScoreKind.Weak)]
    public void Figures_stay_within_1e_3_of_the_exact_ones_and_within_their_own_bound_as_rows_grow(int classes, ScoreKind kind)
    {
        var random = new Random((classes * 100) + (int)kind);
        var rows = new List<(int, double[])>();
        var sums = new ProbabilitySums();
        foreach (var size in new[] { 10, 100, 1000, 10_000, 50_000 })
        {
            while (rows.Count < size)
            {
                var (truth, p) = ScoreStreams.Next(random, classes, kind);
                rows.Add((truth, p));
                sums.Add(ScoredRow.Of(p, truth, 1));
            }

            var exact = ExactRanking.Of(rows);
            var ours = sums.RankFigures();
            var what = $"{size} rows";
            if (exact.Auc is null)
            {
                Assert.That(ours?.RocAuc, Is.Null, what);
                continue;
            }

            // The measured errors (docs/windows-and-statistics.md, "How close to scikit-learn", quotes them).
            TestContext.Out.WriteLine(
                $"rank error | {classes} | {kind} | {size} | {Math.Abs(ours!.RocAuc!.Value - exact.Auc.Value):0.0e0} | {Math.Abs(ours.AveragePrecision!.Value - exact.Ap!.Value):0.0e0} | {ours.RocAucBound:0.0e0} | {ours.AveragePrecisionBound:0.0e0} |");
            Assert.That(ours.RocAuc, Is.EqualTo(exact.Auc).Within(1e-3), what);
            Assert.That(ours.AveragePrecision, Is.EqualTo(exact.Ap).Within(1e-3), what);
            Assert.That(Math.Abs(ours.RocAuc!.Value - exact.Auc!.Value), Is.LessThanOrEqualTo(ours.RocAucBound!.Value + 1e-12), $"{what}: the AUC bound holds");
            Assert.That(Math.Abs(ours.AveragePrecision!.Value - exact.Ap!.Value), Is.LessThanOrEqualTo(ours.AveragePrecisionBound!.Value + 1e-12), $"{what}: the AP bound holds");
        }
    }

    [Test]
    public void A_histogram_coarsens_past_its_budget_and_taking_every_row_back_leaves_it_empty()
    {
        var random = new Random(5);
        var histogram = new RankHistogram(16);
        var rows = Enumerable.Range(0, 5000).Select(_ => (Code: ScoreCodes.Of(random.NextDouble()), Positive: random.Next(3) == 0)).ToList();
        foreach (var (code, positive) in rows)
        {
            histogram.Add(code, positive, +1);
        }

        Assert.That(histogram.Count, Is.LessThanOrEqualTo(16));
        Assert.That(histogram.Level, Is.GreaterThan(0));
        var (positives, negatives) = (0L, 0L);
        for (var i = 0; i < histogram.Count; i++)
        {
            (positives, negatives) = (positives + histogram.Positives(i), negatives + histogram.Negatives(i));
        }

        Assert.That((positives, negatives), Is.EqualTo((rows.Count(r => r.Positive), rows.Count(r => !r.Positive))), "no row lost to coarsening");
        foreach (var (code, positive) in rows)
        {
            histogram.Add(code, positive, -1);
        }

        Assert.That(histogram.Count, Is.Zero);
        Assert.Throws<InvalidOperationException>(() => histogram.Add(ScoreCodes.Of(0.5), true, -1), "nothing left to take back");
    }

    [Test]
    public void Rows_of_another_width_leave_the_ranking_figures_out_until_the_sums_are_empty_again()
    {
        var sums = Sum((0, [0.9, 0.1]), (1, [0.2, 0.8]));
        var wider = ScoredRow.Of([0.2, 0.5, 0.3], 1, 1);
        sums.Add(wider);
        Assert.That(sums.ToFigures()!.RocAuc, Is.Null, "a row the histograms do not hold would be missing from the figure");
        sums.Remove(wider);
        Assert.That(sums.ToFigures()!.RocAuc, Is.EqualTo(1.0));
    }

    [Test]
    public void A_score_code_is_monotone_and_keeps_exact_zero_and_one_apart_at_every_level()
    {
        var previous = ScoreCodes.Of(0);
        foreach (var p in new[] { 1e-300, 1e-20, 1e-14, 1e-9, 1e-4, 0.01, 0.3, 0.5, 0.5000001, 0.7, 0.99, 1 - 1e-9, 1 - 1e-15, 1 })
        {
            var code = ScoreCodes.Of(p);
            Assert.That(code, Is.GreaterThanOrEqualTo(previous), $"score {p}");
            previous = code;
        }

        for (var level = 0; level <= ScoreCodes.MaxLevel; level++)
        {
            Assert.That(ScoreCodes.BinOf(ScoreCodes.Of(0), level), Is.LessThan(ScoreCodes.BinOf(ScoreCodes.Of(1e-300), level)));
            Assert.That(ScoreCodes.BinOf(ScoreCodes.Of(1), level), Is.GreaterThan(ScoreCodes.BinOf(ScoreCodes.Of(1 - 1e-15), level)));
        }
    }

    private static ProbabilitySums Sum(params (int Truth, double[] P)[] rows)
    {
        var sums = new ProbabilitySums();
        foreach (var (truth, p) in rows)
        {
            sums.Add(ScoredRow.Of(p, truth, 1));
        }

        return sums;
    }
}
