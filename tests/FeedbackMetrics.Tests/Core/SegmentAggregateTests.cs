using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Segments;
using FeedbackMetrics.Core.Windows;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

/// <summary>
/// A model's segment values follow the model on the write path: every value has all of the model's classes, its count
/// windows move with the model's rows, and reading the figures changes nothing (live and replayed state are the same
/// whether or not anyone read in between).
/// </summary>
public sealed class SegmentAggregateTests
{
    private static readonly MetricKey Key = new("ns", "income", "default", "model");
    private static readonly IReadOnlyList<WindowSpec> Windows = WindowSpec.ParseList("last_4,1h");
    private static readonly SegmentValue Eu = new("region", "eu");
    private static readonly SegmentValue Us = new("region", "us");

    [Test]
    public void A_value_whose_rows_came_before_a_class_did_has_the_class_too_and_its_gaps_compare_like_with_like()
    {
        var model = new KeyAggregate(Key, Windows, new FakeTimeProvider());
        model.Count(["CLASS_0", "CLASS_1"], [Row(0, 0, 0), Row(1, 1, 1), Row(2, 1, 0)], null, [Eu]);
        model.Count(["CLASS_2"], [Row(3, 2, 2), Row(4, 0, 0), Row(5, 2, 1)], null, [Us]);

        var view = model.View();
        var eu = view.Segments.Single(s => s.Segment == Eu).View;
        Assert.That(eu.Snapshot.Classes, Is.EqualTo(new[] { "CLASS_0", "CLASS_1", "CLASS_2" }), "eu's rows named two classes; us brought the third");
        var recall = SegmentGaps.Of(view.Segments)["region"].Recall!;

        // Both are macro recalls over three classes (scikit-learn: over the classes in the truths or predictions):
        // eu (truths 0, 1, 1; predicted 0, 1, 0): classes 0 and 1, recall (1 + 1/2) / 2 = 0.75; us (truths 2, 0, 2;
        // predicted 2, 0, 1): classes 0, 1 and 2, recall (1 + 0 + 1/2) / 3 = 0.5.
        Assert.That((recall.Max, recall.Min, recall.MaxValue, recall.MinValue), Is.EqualTo((0.75, 0.5, "eu", "us")));
        Assert.That(SegmentGaps.Of(view.Segments)["region"].PositiveRate, Is.Null, "a three-class model has no positive rate, whatever a value saw");
    }

    [Test]
    public void A_value_s_count_window_holds_its_rows_among_the_model_s_last_rows_and_reading_changes_nothing()
    {
        var read = new KeyAggregate(Key, Windows, new FakeTimeProvider());
        var unread = new KeyAggregate(Key, Windows, new FakeTimeProvider());
        var names = new[] { "CLASS_0", "CLASS_1" };
        for (var i = 0; i < 12; i++)
        {
            // eu's rows are the first three; us's the rest: the model's last 4 rows hold no eu row.
            var segment = i < 3 ? Eu : Us;
            foreach (var model in new[] { read, unread })
            {
                model.Count(i == 0 ? names : [], [Row(i, i % 2, 0)], null, [segment]);
            }

            _ = read.View();
        }

        var eu = read.View().Segments.Single(s => s.Segment == Eu).View;
        Assert.That(eu.Windows[0].Count, Is.Zero, "last_4 of the model holds none of eu's rows");
        Assert.That(eu.Snapshot.Count, Is.EqualTo(3));
        Assert.That(Image(read), Is.EqualTo(Image(unread)), "the same rows give the same state, read or not");
    }

    private static CountedRow Row(long sequence, int truth, int predicted) =>
        new(new RowStamp(sequence, DateTimeOffset.UnixEpoch.AddSeconds(sequence)), new WindowRow(truth, predicted, null));

    /// <summary>What a snapshot keeps of each value's count window: its rows.</summary>
    private static string Image(KeyAggregate model) =>
        string.Join(" | ", model.Export().Segments.Select(s => $"{s.Segment}: " + string.Join(",", s.Image.Windows[0].Rows.Select(r => r.Sequence))));
}
