using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Tests.Core;

public sealed class StatisticsProbabilisticTests
{
    [Test]
    public void Log_loss_matches_the_worked_example_of_scikit_learn()
    {
        // sklearn's docstring: log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
        // = 0.21616…; classes sort as ham = 0, spam = 1: −(ln .9 + ln .9 + ln .8 + ln .65) / 4.
        var sums = Sum(2, (1, [0.1, 0.9]), (0, [0.9, 0.1]), (0, [0.8, 0.2]), (1, [0.35, 0.65]));
        Assert.That(sums.ToFigures()!.LogLoss, Is.EqualTo(0.21616187468057912).Within(1e-15));
    }

    [Test]
    public void Top_k_accuracy_matches_the_worked_example_of_scikit_learn()
    {
        // sklearn's docstring: y_true [0, 1, 2, 2], k = 2 → 0.75; the last row ranks class 2 third.
        var sums = Sum(2, (0, [0.5, 0.2, 0.2]), (1, [0.3, 0.4, 0.2]), (2, [0.2, 0.4, 0.3]), (2, [0.7, 0.2, 0.1]));
        Assert.That(sums.ToFigures()!.TopK, Is.EqualTo(new TopKFigures(2, 0.75)));
    }

    [Test]
    public void On_equal_scores_top_k_ranks_the_higher_class_first_as_scikit_learn_does()
    {
        // np.argsort(kind="mergesort")[:, ::-1]: of two equal scores the higher index comes first.
        Assert.That(ScoredRow.Of([0.4, 0.2, 0.4], 2, 1).TopKHit, Is.True);
        Assert.That(ScoredRow.Of([0.4, 0.2, 0.4], 0, 1).TopKHit, Is.False);

        // Two classes with k = 1 follow the binary branch: the positive class needs a probability above 0.5.
        Assert.That(ScoredRow.Of([0.5, 0.5], 1, 1).TopKHit, Is.False);
        Assert.That(ScoredRow.Of([0.5, 0.5], 0, 1).TopKHit, Is.True);
    }

    [Test]
    public void A_zero_probability_on_the_truth_is_clipped_at_the_float64_machine_epsilon()
    {
        var row = ScoredRow.Of([1.0, 0.0], 1, 1);
        Assert.That(row.LogLoss, Is.EqualTo(-Math.Log(Math.BitIncrement(1.0) - 1)).Within(1e-12));
        Assert.That(row.LogLoss, Is.EqualTo(36.04365338911715).Within(1e-12));
        Assert.That(row.Brier, Is.EqualTo(2.0));
    }

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(20)]
    public void Probabilistic_figures_match_a_plain_recomputation_on_a_random_stream(int classes)
    {
        var random = new Random(classes);
        var k = TopK.DefaultFor(classes);
        var rows = Enumerable.Range(0, 3000).Select(_ => RandomRows.Next(random, classes)).ToList();
        var sums = new ProbabilitySums();
        foreach (var (truth, p, _) in rows)
        {
            sums.Add(ScoredRow.Of(p, truth, k));
        }

        AssertMatchesReference(sums.ToFigures()!, rows.Select(r => (r.Truth, r.Probabilities)).ToList(), k);
    }

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(20)]
    public void Taking_rows_back_leaves_the_figures_of_the_rows_that_remain(int classes)
    {
        var random = new Random(100 + classes);
        var k = TopK.DefaultFor(classes);
        var rows = Enumerable.Range(0, 2000).Select(_ => RandomRows.Next(random, classes)).ToList();
        var sums = new ProbabilitySums();
        foreach (var (truth, p, _) in rows)
        {
            sums.Add(ScoredRow.Of(p, truth, k));
        }

        var removed = rows.Where((_, i) => i % 3 != 0).ToList();
        foreach (var (truth, p, _) in removed)
        {
            sums.Remove(ScoredRow.Of(p, truth, k));
        }

        var kept = rows.Where((_, i) => i % 3 == 0).Select(r => (r.Truth, r.Probabilities)).ToList();
        AssertMatchesReference(sums.ToFigures()!, kept, k);
    }

    [Test]
    public void Sums_merge_as_if_their_rows_had_been_added_to_one()
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, 500).Select(_ => RandomRows.Next(random, 4)).ToList();
        var whole = new ProbabilitySums();
        var halves = new[] { new ProbabilitySums(), new ProbabilitySums() };
        for (var i = 0; i < rows.Count; i++)
        {
            var row = ScoredRow.Of(rows[i].Probabilities, rows[i].Truth, 3);
            whole.Add(row);
            halves[i % 2].Add(row);
        }

        var merged = halves[0].Copy();
        merged.Add(halves[1]);
        var (a, b) = (whole.ToFigures()!, merged.ToFigures()!);
        Assert.That(b.Count, Is.EqualTo(a.Count));
        Assert.That(b.LogLoss, Is.EqualTo(a.LogLoss).Within(1e-12));
        Assert.That(b.Ece, Is.EqualTo(a.Ece).Within(1e-12));
        Assert.That(b.Calibration.Select(c => c.Count), Is.EqualTo(a.Calibration.Select(c => c.Count)));
    }

    [Test]
    public void Empty_sums_have_no_figures_and_rows_of_another_k_are_refused()
    {
        var sums = new ProbabilitySums();
        Assert.That(sums.ToFigures(), Is.Null);
        sums.Add(ScoredRow.Of([0.2, 0.3, 0.5], 2, 2));
        Assert.Throws<InvalidOperationException>(() => sums.Add(ScoredRow.Of([0.2, 0.3, 0.5], 2, 1)));
        sums.Remove(ScoredRow.Of([0.2, 0.3, 0.5], 2, 2));
        Assert.That(sums.ToFigures(), Is.Null);
        Assert.Throws<InvalidOperationException>(() => sums.Remove(ScoredRow.Of([0.2, 0.3, 0.5], 2, 2)));
    }

    [Test]
    public void Only_rows_whose_vector_is_a_distribution_and_whose_truth_is_an_index_are_scored()
    {
        var scores = new ScoreRows([0.2, 0.8, 0.5, 0.6, -0.1, 1.1, 0.3, 0.7 + 5e-7], 2);
        Assert.That(ScoredRow.TryScore(scores, 0, ClassLabel.OfIndex(1), 1, out _), Is.True);
        Assert.That(ScoredRow.TryScore(scores, 1, ClassLabel.OfIndex(1), 1, out _), Is.False, "sums to 1.1");
        Assert.That(ScoredRow.TryScore(scores, 2, ClassLabel.OfIndex(1), 1, out _), Is.False, "a negative probability");
        Assert.That(ScoredRow.TryScore(scores, 3, ClassLabel.OfIndex(1), 1, out _), Is.True, "within 1e-6 of 1");
        Assert.That(ScoredRow.TryScore(scores, 0, ClassLabel.OfName("cat"), 1, out _), Is.False, "a named truth has no index in the vector");
        Assert.That(ScoredRow.TryScore(null, 0, ClassLabel.OfIndex(1), 1, out _), Is.False);
    }

    [Test]
    public void A_truth_the_vector_does_not_cover_had_probability_zero()
    {
        var row = ScoredRow.Of([0.25, 0.75], 4, 1);
        Assert.That(row.LogLoss, Is.EqualTo(-Math.Log(Math.BitIncrement(1.0) - 1)).Within(1e-12));
        Assert.That(row.Brier, Is.EqualTo((0.25 * 0.25) + (0.75 * 0.75) + 1).Within(1e-15));
        Assert.That(row.TopKHit || row.Correct, Is.False);
    }

    [TestCase(0.0, 0)]
    [TestCase(0.1, 0)]
    [TestCase(0.1000001, 1)]
    [TestCase(0.3, 2)]
    [TestCase(0.7, 6)]
    [TestCase(0.95, 9)]
    [TestCase(1.0, 9)]
    public void Calibration_bins_are_closed_on_the_right(double confidence, int bin)
    {
        Assert.That(CalibrationBins.Of(confidence), Is.EqualTo(bin));
    }

    [Test]
    public void The_default_top_k_is_3_past_3_classes_and_never_trivially_perfect_below()
    {
        Assert.That(new[] { 2, 3, 4, 20 }.Select(TopK.DefaultFor), Is.EqualTo(new[] { 1, 2, 3, 3 }));
    }

    private static ProbabilitySums Sum(int k, params (int Truth, double[] P)[] rows)
    {
        var sums = new ProbabilitySums();
        foreach (var (truth, p) in rows)
        {
            sums.Add(ScoredRow.Of(p, truth, k));
        }

        return sums;
    }

    /// <summary>Every probabilistic figure recomputed from the rows in the plainest way, then compared.</summary>
    internal static void AssertMatchesReference(ProbabilisticFigures figures, IReadOnlyList<(int Truth, double[] P)> rows, int k)
    {
        var eps = Math.BitIncrement(1.0) - 1; // np.finfo(np.float64).eps
        double logLoss = 0, brier = 0, hits = 0;
        var binCount = new int[10];
        var binConfidence = new double[10];
        var binCorrect = new int[10];
        foreach (var (truth, p) in rows)
        {
            logLoss += -Math.Log(Math.Min(Math.Max(p[truth], eps), 1 - eps));
            for (var j = 0; j < p.Length; j++)
            {
                brier += Math.Pow(p[j] - (j == truth ? 1.0 : 0.0), 2);
            }

            bool hit;
            if (p.Length == 2 && k == 1)
            {
                hit = (p[1] > 0.5 ? 1 : 0) == truth;
            }
            else
            {
                var ranking = Enumerable.Range(0, p.Length).OrderByDescending(j => p[j]).ThenByDescending(j => j).Take(k);
                hit = ranking.Contains(truth);
            }

            hits += hit ? 1 : 0;
            var confidence = p.Max();
            var bin = 0;
            while (bin < 9 && confidence > (bin + 1) / 10.0)
            {
                bin++;
            }

            binCount[bin]++;
            binConfidence[bin] += confidence;
            binCorrect[bin] += Array.IndexOf(p, confidence) == truth ? 1 : 0;
        }

        var n = rows.Count;
        double ece = 0;
        for (var b = 0; b < 10; b++)
        {
            if (binCount[b] > 0)
            {
                ece += binCount[b] / (double)n * Math.Abs((binCorrect[b] / (double)binCount[b]) - (binConfidence[b] / binCount[b]));
            }
        }

        Assert.That(figures.Count, Is.EqualTo(n));
        Assert.That(figures.LogLoss, Is.EqualTo(logLoss / n).Within(1e-9));
        Assert.That(figures.Brier, Is.EqualTo(brier / n).Within(1e-9));
        Assert.That(figures.TopK, Is.EqualTo(new TopKFigures(k, hits / n)));
        Assert.That(figures.Ece, Is.EqualTo(ece).Within(1e-9));
        for (var b = 0; b < 10; b++)
        {
            var row = figures.Calibration[b];
            Assert.That((row.Low, row.High, row.Count), Is.EqualTo((b / 10.0, (b + 1) / 10.0, (long)binCount[b])));
            if (binCount[b] > 0)
            {
                Assert.That(row.Confidence, Is.EqualTo(binConfidence[b] / binCount[b]).Within(1e-9));
                Assert.That(row.Accuracy, Is.EqualTo(binCorrect[b] / (double)binCount[b]).Within(1e-12));
            }
            else
            {
                Assert.That(row.Confidence, Is.Null);
            }
        }
    }
}
