using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Tests.Core;

public sealed class MetricsCalculatorTests
{
    private static readonly MetricKey Key = new("ns", "dep", "pred", "model");

    private static KeySummary Summarize(int width, params (int Truth, int Predicted)[] rows)
    {
        var book = new MetricsBook(10, 100);
        var feedback = new DecodedFeedback([.. rows.Select(r => new Observation(ClassLabel.OfIndex(r.Truth), ClassLabel.OfIndex(r.Predicted)))], width);
        return MetricsCalculator.Summarize(book.Apply(Key, feedback));
    }

    [Test]
    public void A_key_given_a_class_not_yet_counted_gives_figures_over_every_class()
    {
        // The engine registers a class a change set brings before any row is counted in it: a view must be whole.
        var book = new MetricsBook(10, 100, WindowSpec.ParseList("last_100,1h"));
        book.Apply(Key, new DecodedFeedback([new Observation(ClassLabel.OfName("a"), ClassLabel.OfName("a"))], 0));
        book.GetOrCreate(Key).Count(["b"], [], null);

        var view = book.ViewAll().Single();
        var figures = view.Figures();
        Assert.Multiple(() =>
        {
            Assert.That(view.Snapshot.Classes, Is.EqualTo(new[] { "a", "b" }));
            Assert.That(view.Snapshot.Matrix, Is.EqualTo(new long[] { 1, 0, 0, 0 }));
            Assert.That(figures.Windows["last_100"].Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void Figures_follow_scikit_learn_on_a_worked_example()
    {
        // y_true = [0,0,1,1,2,2], y_pred = [0,1,1,1,0,2]; values from scikit-learn's definitions by hand:
        // class 0: P 1/2 R 1/2; class 1: P 2/3 R 1; class 2: P 1 R 1/2.
        var s = Summarize(3, (0, 0), (0, 1), (1, 1), (1, 1), (2, 0), (2, 2));
        Assert.That(s.Accuracy, Is.EqualTo(4.0 / 6).Within(1e-12));
        Assert.That(s.ConfusionMatrix, Is.EqualTo(new[] { new long[] { 1, 1, 0 }, [0, 2, 0], [1, 0, 1] }));
        Assert.That(s.PerClass.Select(c => c.Precision), Is.EqualTo(new[] { 0.5, 2.0 / 3, 1.0 }).Within(1e-12));
        Assert.That(s.PerClass.Select(c => c.Recall), Is.EqualTo(new[] { 0.5, 1.0, 0.5 }).Within(1e-12));
        Assert.That(s.PerClass.Select(c => c.F1), Is.EqualTo(new[] { 0.5, 0.8, 2.0 / 3 }).Within(1e-12));
        Assert.That(s.Macro.F1, Is.EqualTo((0.5 + 0.8 + (2.0 / 3)) / 3).Within(1e-12));
        Assert.That(s.Micro.Precision, Is.EqualTo(s.Accuracy).Within(1e-12));
        Assert.That(s.Weighted.Recall, Is.EqualTo(s.Accuracy).Within(1e-12));
    }

    [Test]
    public void Zero_division_gives_zero_and_unseen_classes_stay_out_of_macro_averages()
    {
        // CLASS_1 is declared by the vector width but never occurs: scikit-learn (labels from data) ignores it.
        var s = Summarize(3, (0, 0), (2, 0));
        Assert.That(s.PerClass[1].Precision, Is.Zero);
        Assert.That(s.PerClass[2].Precision, Is.Zero, "nothing was predicted as CLASS_2");
        Assert.That(s.Macro.Recall, Is.EqualTo((1.0 + 0.0) / 2).Within(1e-12));
        Assert.That(s.Macro.Precision, Is.EqualTo((0.5 + 0.0) / 2).Within(1e-12));
    }

    [Test]
    public void An_empty_key_has_all_figures_zero()
    {
        var s = Summarize(2);
        Assert.That(new[] { s.Accuracy, s.Macro.F1, s.Micro.F1, s.Weighted.F1 }, Is.All.Zero);
    }

    [Test]
    public void The_matrix_grows_as_new_classes_appear()
    {
        var book = new MetricsBook(10, 100);
        book.Apply(Key, new DecodedFeedback([new Observation(ClassLabel.OfIndex(0), ClassLabel.OfIndex(1))], 2));
        var snapshot = book.Apply(Key, new DecodedFeedback([new Observation(ClassLabel.OfIndex(4), ClassLabel.OfIndex(0))], 0));
        Assert.That(snapshot.Classes, Is.EqualTo(new[] { "CLASS_0", "CLASS_1", "CLASS_2", "CLASS_3", "CLASS_4" }));
        Assert.That(snapshot[0, 1], Is.EqualTo(1));
        Assert.That(snapshot[4, 0], Is.EqualTo(1));
        Assert.That(snapshot.Count, Is.EqualTo(2));
    }

    [Test]
    public void Concurrent_applies_lose_no_row()
    {
        var book = new MetricsBook(10, 100);
        var feedback = new DecodedFeedback([new Observation(ClassLabel.OfIndex(1), ClassLabel.OfIndex(2))], 3);
        Parallel.For(0, 20_000, _ => book.Apply(Key, feedback));
        book.TryGet(Key, out var aggregate);
        Assert.That(aggregate.Snapshot()[1, 2], Is.EqualTo(20_000));
    }
}
