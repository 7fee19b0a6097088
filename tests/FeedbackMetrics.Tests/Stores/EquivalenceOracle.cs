using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The rules recomputed by brute force from the raw events, written from DESIGN.md and Core/Join/README.md rather than
/// from the engine: every counted row kept with its current truth (matrices and windows are recounted from the rows on
/// each read), the join as a dictionary of entries by (namespace, deployment, request id) with their last change, and
/// the event ids remembered. A request is planned on a copy of the state that replaces it only when the whole request
/// is accepted (all or nothing); expiry at the start of a group stays even when its request is refused.
/// </summary>
internal sealed partial class EquivalenceOracle(EquivalenceLimits limits)
{
    private OracleState _state = new();

    public EquivalenceLimits Limits { get; } = limits;

    public IReadOnlyDictionary<MetricKey, OracleModel> Models => _state.Models;

    public IReadOnlyDictionary<JoinScope, OracleScope> Scopes => _state.Scopes;

    /// <summary>Metric events posted for the reply URL: one per event that counted or moved rows.</summary>
    public long RepliesPosted => _state.RepliesPosted;

    /// <summary>What one request should give at <paramref name="now"/>: a result per event, or a refusal of its kind.</summary>
    public Expected Decide(IReadOnlyList<IngestEvent> request, DateTimeOffset now)
    {
        _state.Now = now;
        ExpireDue(_state, now);
        var trial = _state.Copy();
        try
        {
            var results = request.Select(e => Plan(trial, e, now)).ToArray();
            EvictOverCap(trial);
            _state = trial;
            return new Expected(results, null);
        }
        catch (OracleRefusal refusal)
        {
            return new Expected(null, refusal.Kind);
        }
    }

    private ExpectedResult Plan(OracleState s, IngestEvent e, DateTimeOffset now)
    {
        if (s.Ids.TryGetValue(e.Id, out var expires) && expires > now)
        {
            return new ExpectedResult(ApplyOutcome.Duplicate, null, null, null);
        }

        s.Ids[e.Id] = now + Limits.IdTtl;
        return e switch
        {
            CountedFeedback f => Counted(s, f, now),
            LoggedResponse r => Response(s, r, now),
            TruthOnly t => Truth(s, t, now),
            _ => throw new ArgumentException(e.GetType().Name),
        };
    }

    private ExpectedResult Counted(OracleState s, CountedFeedback f, DateTimeOffset now)
    {
        var rows = f.Feedback.Rows.Select((o, i) => new OracleRow(0, now, o.Truth, o.Predicted, DistributionOf(f.Feedback.Scores, i))).ToArray();
        Count(s, f.Key, rows, f.Feedback.ClassWidth, f.Feedback.Reward, f.Segments);
        return Posted(s, new ExpectedResult(ApplyOutcome.Applied, null, s.Models[f.Key].Rows.Count, rows.Length));
    }

    /// <summary>
    /// Counts rows under a key: a new key past <c>max_keys</c> or classes past <c>max_classes</c> refuse the request.
    /// The rows are counted under each segment value too: one the model keeps, a new one while its name has fewer than
    /// <c>max_segment_values</c> values (but other), else other.
    /// </summary>
    private long[] Count(OracleState s, MetricKey key, OracleRow[] rows, int width, double? reward, IReadOnlyList<SegmentValue> segments)
    {
        if (!s.Models.TryGetValue(key, out var model))
        {
            if (s.Models.Count >= Limits.MaxKeys)
            {
                throw new OracleRefusal(RejectionKind.LimitExceeded);
            }

            model = new OracleModel();
        }
        else
        {
            model = model.Copy();
        }

        var labels = new List<ClassLabel>();
        if (width > 0)
        {
            labels.Add(ClassLabel.OfIndex(width - 1));
        }

        labels.AddRange(rows.SelectMany(r => new[] { r.Truth, r.Predicted }));
        Register(model, labels);
        var folded = new List<SegmentValue>();
        foreach (var (name, value) in segments)
        {
            var known = model.SegmentValues.GetValueOrDefault(name) ?? [];
            var kept = known.Contains(value) || value == SegmentValue.Other || known.Count(v => v != SegmentValue.Other) < Limits.MaxSegmentValues ? value : SegmentValue.Other;
            model.SegmentValues[name] = [.. known.Append(kept).Distinct()];
            folded.Add(new SegmentValue(name, kept));
        }

        var seqs = new long[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            seqs[i] = model.Rows.Count;
            model.Rows.Add(rows[i] with { Sequence = model.Rows.Count, Segments = folded });
        }

        if (reward is { } r)
        {
            model.RewardTotal += r;
            model.RewardEvents++;
        }

        s.Models[key] = model;
        return seqs;
    }

    /// <summary>Moves counted rows to new truths, each keeping its place; a row whose truth changes is counted as relabelled in the cell it left.</summary>
    private int Move(OracleState s, MetricKey key, long[] seqs, ClassLabel[] truths)
    {
        var model = s.Models[key].Copy();
        Register(model, truths);
        var changed = 0;
        for (var i = 0; i < seqs.Length; i++)
        {
            var row = model.Rows[(int)seqs[i]];
            if (row.Truth != truths[i])
            {
                changed++;
                var left = (row.Truth.DisplayName, row.Predicted.DisplayName);
                model.Relabelled[left] = model.Relabelled.GetValueOrDefault(left) + 1;
            }

            model.Rows[(int)seqs[i]] = row with { Truth = truths[i] };
        }

        s.Models[key] = model;
        return changed;
    }

    /// <summary>
    /// Brings in the classes the labels name, in order: a class index i brings CLASS_0 … CLASS_i, a name itself. Refuses
    /// the request when that would pass <c>max_classes</c>.
    /// </summary>
    private void Register(OracleModel model, IEnumerable<ClassLabel> labels)
    {
        var classes = new List<string>(model.Classes);
        foreach (var label in labels)
        {
            var names = label.Name is null ? Enumerable.Range(0, label.Index + 1).Select(ClassNames.ForIndex) : [label.Name];
            classes.AddRange(names.Where(n => !classes.Contains(n)).ToList());
        }

        if (classes.Count > model.Classes.Count && classes.Count > Limits.MaxClasses)
        {
            throw new OracleRefusal(RejectionKind.LimitExceeded);
        }

        model.Classes.Clear();
        model.Classes.AddRange(classes);
    }

    /// <summary>The row's score vector when it is a probability distribution (over at least two classes), else null.</summary>
    private static double[]? DistributionOf(ScoreRows? scores, int row)
    {
        if (scores is null || scores.Width < 2)
        {
            return null;
        }

        var values = scores.Values.Skip(row * scores.Width).Take(scores.Width).ToArray();
        return values.All(v => v >= 0) && Math.Abs(values.Sum() - 1) <= 1e-6 ? values : null;
    }

    private static ExpectedResult Posted(OracleState s, ExpectedResult result)
    {
        s.RepliesPosted++;
        return result;
    }

    private sealed class OracleRefusal(RejectionKind kind) : Exception
    {
        public RejectionKind Kind { get; } = kind;
    }
}

/// <summary>The limits both the engine and the oracle work with.</summary>
internal sealed record EquivalenceLimits(int MaxKeys, int MaxClasses, TimeSpan JoinTtl, int JoinCap, TimeSpan IdTtl, int MaxSegmentValues);

/// <summary>What one event should give: its outcome, what the join did, the key's count right after it when it counted, and the rows its metric event reports (null: no metric event for its sender).</summary>
internal sealed record ExpectedResult(ApplyOutcome Outcome, JoinAction? Join, long? CountAfter, int? ReplyRows);

/// <summary>What one request should give: a result per event, or the kind of its refusal.</summary>
internal sealed record Expected(ExpectedResult[]? Results, RejectionKind? Refusal);

/// <summary>One counted row: its place (sequence, when counted), its truth as now, its prediction, and its response row when that was a probability distribution.</summary>
internal sealed record OracleRow(long Sequence, DateTimeOffset CountedAt, ClassLabel Truth, ClassLabel Predicted, double[]? Distribution)
{
    /// <summary>Scored for the probabilistic figures: a distribution row whose truth is a class index.</summary>
    public bool Scored => Distribution is not null && Truth.Name is null;

    /// <summary>The segment values the row was counted under (folded).</summary>
    public IReadOnlyList<SegmentValue> Segments { get; init; } = [];
}

/// <summary>One key as the oracle keeps it: classes in order of arrival, every row counted, rewards, and the cells relabels left.</summary>
internal sealed class OracleModel
{
    public List<string> Classes { get; private init; } = [];

    public List<OracleRow> Rows { get; private init; } = [];

    public double RewardTotal { get; set; }

    public long RewardEvents { get; set; }

    public Dictionary<(string Truth, string Predicted), long> Relabelled { get; private init; } = [];

    /// <summary>The values of each segment name the model keeps (other included once used).</summary>
    public Dictionary<string, string[]> SegmentValues { get; private init; } = [];

    /// <summary>The confusion matrix of <paramref name="rows"/> over the key's classes (row-major, rows the true class).</summary>
    public long[] MatrixOf(IEnumerable<OracleRow> rows)
    {
        var n = Classes.Count;
        var matrix = new long[n * n];
        foreach (var row in rows)
        {
            matrix[(Classes.IndexOf(row.Truth.DisplayName) * n) + Classes.IndexOf(row.Predicted.DisplayName)]++;
        }

        return matrix;
    }

    /// <summary>The rows a relabel moved out of each cell, as a matrix; null when no row's truth ever changed.</summary>
    public long[]? RelabelledMatrix()
    {
        if (Relabelled.Count == 0)
        {
            return null;
        }

        var n = Classes.Count;
        var matrix = new long[n * n];
        foreach (var ((truth, predicted), count) in Relabelled)
        {
            matrix[(Classes.IndexOf(truth) * n) + Classes.IndexOf(predicted)] += count;
        }

        return matrix;
    }

    /// <summary>
    /// The rows a window holds at <paramref name="now"/>: the last N of a count window; for a time window those counted
    /// in the bucket of <paramref name="now"/> or the B − 1 before it (buckets span / B wide from the Unix epoch).
    /// </summary>
    public IEnumerable<OracleRow> Window(WindowSpec spec, DateTimeOffset now)
    {
        if (spec.Kind == WindowKind.Count)
        {
            return Rows.Skip(Math.Max(0, Rows.Count - spec.Rows));
        }

        var width = spec.Span.Ticks / spec.Buckets;
        var current = now.UtcTicks / width;
        return Rows.Where(r => r.CountedAt.UtcTicks / width > current - spec.Buckets && r.CountedAt.UtcTicks / width <= current);
    }

    public OracleModel Copy() => new()
    {
        Classes = [.. Classes],
        Rows = [.. Rows],
        RewardTotal = RewardTotal,
        RewardEvents = RewardEvents,
        Relabelled = new(Relabelled),
        SegmentValues = new(SegmentValues),
    };
}
