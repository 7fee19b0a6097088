using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Tests.Core;

public sealed class StatisticsShiftTests
{
    [Test]
    public void PSI_of_a_hand_checked_shift()
    {
        // Window 80/20 against cumulative 50/50:
        // (0.8 − 0.5)·ln(0.8/0.5) + (0.2 − 0.5)·ln(0.2/0.5) = 0.3·0.470004 + 0.3·0.916291 = 0.415888.
        Assert.That(Psi.Between([80, 20], [500, 500]), Is.EqualTo(0.41588830833596724).Within(1e-12));
    }

    [Test]
    public void PSI_treats_an_empty_class_as_the_epsilon()
    {
        // Window 100/0 against 50/50; the empty class counts as 1e-4:
        // 0.5·ln(1/0.5) + (1e-4 − 0.5)·ln(1e-4/0.5) = 0.346574 + 0.4999·8.517193 = 4.604318.
        Assert.That(Psi.Epsilon, Is.EqualTo(1e-4));
        Assert.That(Psi.Between([10, 0], [5, 5]), Is.EqualTo(4.60431846666895).Within(1e-12));
    }

    [Test]
    public void PSI_is_zero_for_equal_distributions_and_absent_without_rows()
    {
        Assert.That(Psi.Between([1, 2, 0], [10, 20, 0]), Is.EqualTo(0).Within(1e-15));
        Assert.That(Psi.Between([0, 0], [1, 1]), Is.Null);
        Assert.That(Psi.Between([1, 1], [0, 0]), Is.Null);
    }

    [Test]
    public void Shift_estimation_recovers_a_hand_checked_two_class_shift()
    {
        // Cumulative (rows truth, columns predicted): [[80, 20], [30, 70]], so P(pred | true) columns are
        // true 0: (0.8, 0.2), true 1: (0.3, 0.7). The window predicts 45 % class 0. Solve
        // 0.8·q0 + 0.3·q1 = 0.45 with q0 + q1 = 1: 0.5·q0 = 0.15, q0 = 0.3, q1 = 0.7 (check: 0.2·0.3 + 0.7·0.7 = 0.55).
        var estimate = ShiftEstimator.Estimate([80, 20, 30, 70], 2, [45, 55])!;
        Assert.That(estimate.Method, Is.EqualTo(ShiftMethod.Bbse));
        Assert.That(estimate.Distribution, Is.EqualTo(new[] { 0.3, 0.7 }).Within(1e-12));
    }

    [Test]
    public void Shift_estimation_recovers_a_hand_checked_three_class_shift()
    {
        // P(pred | true) = 0.7·I + 0.1 (every column 0.8 on the diagonal, 0.1 elsewhere). A true mix (0.5, 0.3, 0.2)
        // is predicted as 0.7·q + 0.1 = (0.45, 0.31, 0.24); the inverse gives q = (μ − 0.1) / 0.7 back.
        var estimate = ShiftEstimator.Estimate([80, 10, 10, 10, 80, 10, 10, 10, 80], 3, [45, 31, 24])!;
        Assert.That(estimate.Method, Is.EqualTo(ShiftMethod.Bbse));
        Assert.That(estimate.Distribution, Is.EqualTo(new[] { 0.5, 0.3, 0.2 }).Within(1e-12));
    }

    [TestCase(20, 0)]
    [TestCase(20, 5)]
    [TestCase(60, 0)]
    public void Shift_estimation_recovers_the_true_mix_of_a_random_model_exactly(int classes, int neverTrue)
    {
        // Every true class has 1000 cumulative rows spread over the predictions; a window whose true mix is n_t / Σn
        // predicts class p with count Σ_t matrix[t, p]·n_t, which is exactly M·q. With neverTrue classes that have
        // been predicted but never true, the system is over-determined yet still consistent.
        var random = new Random(classes + neverTrue);
        var matrix = new long[classes * classes];
        var mix = new long[classes];
        for (var t = 0; t < classes - neverTrue; t++)
        {
            var left = 1000L;
            matrix[(t * classes) + t] = 600;
            left -= 600;
            while (left > 0)
            {
                var p = random.Next(classes);
                var n = Math.Min(left, random.Next(1, 30));
                matrix[(t * classes) + p] += n;
                left -= n;
            }

            mix[t] = random.Next(0, 20);
        }

        mix[0] = Math.Max(mix[0], 1);
        var window = new long[classes];
        for (var t = 0; t < classes; t++)
        {
            for (var p = 0; p < classes; p++)
            {
                window[p] += matrix[(t * classes) + p] * mix[t];
            }
        }

        var estimate = ShiftEstimator.Estimate(matrix, classes, window)!;
        Assert.That(estimate.Method, Is.EqualTo(ShiftMethod.Bbse));
        Assert.That(estimate.Distribution, Is.EqualTo(mix.Select(n => n / (double)mix.Sum())).Within(1e-9));
    }

    [Test]
    public void Shift_estimation_is_skipped_past_its_class_limit()
    {
        var classes = ShiftEstimator.MaxClasses + 1;
        var matrix = new long[classes * classes];
        for (var c = 0; c < classes; c++)
        {
            matrix[(c * classes) + c] = 1;
        }

        var window = new long[classes];
        window[3] = 1;
        Assert.That(ShiftEstimator.Estimate(matrix, classes, window)!.Method, Is.EqualTo(ShiftMethod.ClassifyAndCount));
    }

    [Test]
    public void Negative_solutions_are_clipped_to_zero_and_the_rest_renormalised()
    {
        // As the two-class case, but the window predicts 90 % class 0: 0.5·q0 = 0.6, q0 = 1.2, q1 = −0.2
        // (check: 0.2·1.2 − 0.7·0.2 = 0.1); clipped (1.2, 0) and renormalised (1, 0).
        var estimate = ShiftEstimator.Estimate([80, 20, 30, 70], 2, [90, 10])!;
        Assert.That(estimate.Method, Is.EqualTo(ShiftMethod.Bbse));
        Assert.That(estimate.Distribution, Is.EqualTo(new[] { 1.0, 0.0 }).Within(1e-12));
    }

    [Test]
    public void A_singular_confusion_matrix_falls_back_to_classify_and_count()
    {
        // Both true classes are predicted 50/50: P(pred | true) has two equal columns and nothing can be inverted.
        var estimate = ShiftEstimator.Estimate([50, 50, 50, 50], 2, [30, 70])!;
        Assert.That(estimate.Method, Is.EqualTo(ShiftMethod.ClassifyAndCount));
        Assert.That(estimate.Distribution, Is.EqualTo(new[] { 0.3, 0.7 }).Within(1e-15));
    }

    [Test]
    public void A_model_that_never_predicts_a_class_cannot_be_inverted()
    {
        // Class 2 is never predicted: three true classes, two usable predicted rows.
        var estimate = ShiftEstimator.Estimate([10, 0, 0, 0, 10, 0, 5, 5, 0], 3, [6, 4, 0])!;
        Assert.That(estimate.Method, Is.EqualTo(ShiftMethod.ClassifyAndCount));
        Assert.That(estimate.Distribution, Is.EqualTo(new[] { 0.6, 0.4, 0.0 }).Within(1e-15));
    }

    [Test]
    public void A_class_never_seen_as_truth_gets_no_share()
    {
        // Class 2 has been predicted but never been true: it is not an unknown, and the other two solve exactly
        // (P(pred | true 0) = (0.9, 0, 0.1), P(pred | true 1) = (0, 0.9, 0.1); the window predicts (0.45, 0.45, 0.1)).
        var estimate = ShiftEstimator.Estimate([9, 0, 1, 0, 9, 1, 0, 0, 0], 3, [9, 9, 2])!;
        Assert.That(estimate.Method, Is.EqualTo(ShiftMethod.Bbse));
        Assert.That(estimate.Distribution, Is.EqualTo(new[] { 0.5, 0.5, 0.0 }).Within(1e-12));
    }

    [Test]
    public void An_empty_window_has_no_estimate()
    {
        Assert.That(ShiftEstimator.Estimate([80, 20, 30, 70], 2, [0, 0]), Is.Null);
    }
}
