using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Tests.Core;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>What is compared after each step, the store's side read only through what readers read: answers, the read model, the join figures, the outbox.</summary>
public abstract partial class EngineEquivalence
{
    private static void CompareAnswers(Expected expected, (ApplyResult[]? Results, InvalidFeedbackException? Refusal) actual, string context)
    {
        if (expected.Refusal is { } kind)
        {
            Assert.That(actual.Refusal?.Kind, Is.EqualTo(kind), $"{context}: refused as {kind}; the store answered {Answers(actual.Results)}");
            return;
        }

        Assert.That(actual.Refusal, Is.Null, $"{context}: accepted by the oracle, refused by the store: {actual.Refusal?.Message}");
        var results = actual.Results!;
        Assert.That(results, Has.Length.EqualTo(expected.Results!.Length), $"{context}: one result per event");
        for (var i = 0; i < results.Length; i++)
        {
            var a = results[i];
            var e = expected.Results[i];
            Assert.That(
                (a.Outcome, a.Join, a.Figures?.Count, a.Reply?.Rows.Length),
                Is.EqualTo((e.Outcome, e.Join, e.CountAfter, e.ReplyRows)),
                $"{context}, event {i + 1}: (outcome, join, the key's count after it, rows its metric event reports)");
        }
    }

    /// <summary>ROC AUC and average precision within 1e-3 of scikit-learn's on the scored rows (the stream's vectors are all three wide).</summary>
    private static void CompareRanks(ProbabilitySums sums, IEnumerable<OracleRow> rows, string context)
    {
        var exact = ExactRanking.Of([.. rows.Where(r => r.Scored).Select(r => (r.Truth.Index, r.Distribution!))]);
        var ours = sums.RankFigures();
        Assert.That(ours?.RocAuc, exact.Auc is { } auc ? Is.EqualTo(auc).Within(1e-3) : Is.Null, $"{context} ROC AUC");
        Assert.That(ours?.AveragePrecision, exact.Ap is { } ap ? Is.EqualTo(ap).Within(1e-3) : Is.Null, $"{context} average precision");
    }

    /// <summary>
    /// Each segment value the model keeps: its rows are the model's rows counted under it (a count window: those among the
    /// model's last N), over the model's classes (a segment knows those up to its own last row).
    /// </summary>
    private static void CompareSegments(KeyView view, OracleModel model, DateTimeOffset now, string context)
    {
        var expected = model.Rows.SelectMany(r => r.Segments).Distinct().ToList();
        expected.Sort(SegmentValue.Compare);
        Assert.That(view.Segments.Select(s => s.Segment), Is.EqualTo(expected), $"{context} segment values");
        foreach (var (segment, segmentView) in view.Segments)
        {
            var rows = model.Rows.Where(r => r.Segments.Contains(segment)).ToList();
            var snapshot = segmentView.Snapshot;
            Assert.That(model.Classes.Take(snapshot.Classes.Length), Is.EqualTo(snapshot.Classes), $"{context} {segment} classes are the model's, in order");
            Assert.That(Widened(snapshot.Matrix, snapshot.Classes.Length, model.Classes.Count), Is.EqualTo(model.MatrixOf(rows)), $"{context} {segment} cumulative matrix");
            Assert.That(snapshot.Count, Is.EqualTo(rows.Count), $"{context} {segment} count");
            Assert.That(segmentView.Probabilities.Count, Is.EqualTo(rows.Count(r => r.Scored)), $"{context} {segment} scored rows");
            CompareRanks(segmentView.Probabilities, rows, $"{context} {segment} cumulative");
            for (var w = 0; w < Windows.Count; w++)
            {
                var windowRows = model.Window(Windows[w], now).Where(r => r.Segments.Contains(segment)).ToList();
                var window = segmentView.Windows[w];
                Assert.That(Widened(window.Matrix, snapshot.Classes.Length, model.Classes.Count), Is.EqualTo(model.MatrixOf(windowRows)), $"{context} {segment} window {Windows[w].Name} matrix");
                Assert.That(window.Count, Is.EqualTo(windowRows.Count), $"{context} {segment} window {Windows[w].Name} count");
            }
        }
    }

    /// <summary>A row-major matrix over the first <paramref name="from"/> classes, widened to <paramref name="to"/> with zeros.</summary>
    private static long[] Widened(long[] matrix, int from, int to)
    {
        var wide = new long[to * to];
        for (var t = 0; t < from; t++)
        {
            for (var p = 0; p < from; p++)
            {
                wide[(t * to) + p] = matrix[(t * from) + p];
            }
        }

        return wide;
    }

    private static string Answers(ApplyResult[]? results) =>
        results is null ? "a refusal of another kind" : "[" + string.Join(", ", results.Select(r => $"{r.Outcome} {r.Join}")) + "]";

    private void CompareState(EquivalenceOracle oracle, OpenedStore store, DateTimeOffset now, string context)
    {
        var views = store.Book.ViewAll();
        var keys = oracle.Models.Keys.ToList();
        keys.Sort(MetricKey.Compare);
        Assert.That(views.Select(v => v.Snapshot.Key), Is.EqualTo(keys), $"{context}: the keys");
        foreach (var view in views)
        {
            var key = view.Snapshot.Key;
            var model = oracle.Models[key];
            var snapshot = view.Snapshot;
            Assert.That(snapshot.Classes, Is.EqualTo(model.Classes), $"{context}: {key} classes, in order");
            Assert.That(snapshot.Matrix, Is.EqualTo(model.MatrixOf(model.Rows)), $"{context}: {key} cumulative matrix");
            Assert.That(snapshot.Count, Is.EqualTo(model.Rows.Count), $"{context}: {key} count");
            Assert.That((snapshot.RewardTotal, snapshot.RewardEvents), Is.EqualTo((model.RewardTotal, model.RewardEvents)), $"{context}: {key} rewards");
            Assert.That(snapshot.Relabelled, Is.EqualTo(model.RelabelledMatrix()), $"{context}: {key} cells relabels left");
            Assert.That(view.Probabilities.Count, Is.EqualTo(model.Rows.Count(r => r.Scored)), $"{context}: {key} scored rows");
            CompareRanks(view.Probabilities, model.Rows, $"{context}: {key} cumulative");
            for (var w = 0; w < Windows.Count; w++)
            {
                var rows = model.Window(Windows[w], now).ToList();
                var window = view.Windows[w];
                Assert.That(window.Matrix, Is.EqualTo(model.MatrixOf(rows)), $"{context}: {key} window {Windows[w].Name} matrix");
                Assert.That(window.Count, Is.EqualTo(rows.Count), $"{context}: {key} window {Windows[w].Name} count");
                Assert.That(window.Probabilities.Count, Is.EqualTo(rows.Count(r => r.Scored)), $"{context}: {key} window {Windows[w].Name} scored rows");
                CompareRanks(window.Probabilities, rows, $"{context}: {key} window {Windows[w].Name}");
            }

            CompareSegments(view, model, now, $"{context}: {key}");
        }

        var scopes = oracle.Scopes.Keys.OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Deployment, StringComparer.Ordinal).ToList();
        var figures = store.Join.FiguresAll();
        Assert.That(figures.Select(f => f.Scope), Is.EqualTo(scopes), $"{context}: the deployments the join has seen");
        foreach (var scope in scopes)
        {
            var expected = oracle.Scopes[scope];
            var actual = store.Join.Figures(scope)!;
            Assert.That(
                (actual.PendingResponses, actual.ParkedTruths, actual.JoinedHeld),
                Is.EqualTo((expected.Pending, expected.Parked, expected.JoinedHeld)),
                $"{context}: {scope} held (pending responses, parked truths, joined)");
            Assert.That(actual.Totals, Is.EqualTo(expected.Totals), $"{context}: {scope} totals");
            Assert.That(actual.LabelDelay.Count, Is.EqualTo(expected.Joined), $"{context}: {scope} label delays, one per join");
        }

        if (PostsReplies)
        {
            Assert.That(store.Store.Outbox.Depth, Is.EqualTo(oracle.RepliesPosted), $"{context}: metric events for the reply URL, one per event that counted or moved rows");
        }
    }
}
