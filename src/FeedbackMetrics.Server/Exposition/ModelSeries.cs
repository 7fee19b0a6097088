using System.Text;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Segments;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Server.Diagnostics;
using static FeedbackMetrics.Server.Exposition.PrometheusText;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>
/// The series of one model, rendered from one view of it: a block of sample lines per family of <see cref="Families"/>,
/// as UTF-8 bytes. What a scrape writes of a model that has not changed is these very bytes (<see cref="ModelSeriesCache"/>).
/// </summary>
internal sealed class ModelSeries(DecoderSelector decoders, string method, ClassDisplay display, int maxExportedClasses)
{
    private static readonly string[] Bounds = ["low", "high"];

    /// <summary>The families with a series per model, in the order a scrape writes them.</summary>
    public static readonly MetricFamily[] Families =
    [
        MetricFamilies.SeldonTruePositive, MetricFamilies.SeldonFalsePositive, MetricFamilies.SeldonFalseNegative, MetricFamilies.SeldonTrueNegative,

        // Counters count every truth: a relabelled row stays counted under its old truth and counts again under its new
        // one (Seldon counts every feedback it gets alike), so no counter ever goes down. The relabelled_* counters say
        // how many rows each cell gave up: the matrix as it stands is confusion_total - relabelled_total.
        MetricFamilies.ObservationsTotal, MetricFamilies.CorrectTotal, MetricFamilies.ConfusionTotal, MetricFamilies.RelabelledRowsTotal,
        MetricFamilies.RelabelledCorrectTotal, MetricFamilies.RelabelledTotal, MetricFamilies.Classes,
        MetricFamilies.Rows, MetricFamilies.AccuracyRatio, MetricFamilies.AccuracyIntervalRatio,
        MetricFamilies.PrecisionRatio, MetricFamilies.RecallRatio, MetricFamilies.F1Ratio,
        MetricFamilies.ClassPrecisionRatio, MetricFamilies.ClassRecallRatio, MetricFamilies.ClassF1Ratio, MetricFamilies.ClassSupport,
        MetricFamilies.ScoredRows, MetricFamilies.LogLoss, MetricFamilies.BrierScore, MetricFamilies.ExpectedCalibrationError, MetricFamilies.TopKAccuracyRatio,
        MetricFamilies.RocAuc, MetricFamilies.AveragePrecision, MetricFamilies.PredictedClassPsi, MetricFamilies.TrueClassPsi,
        MetricFamilies.RewardTotal, MetricFamilies.RewardedEventsTotal,
        MetricFamilies.SegmentRows, MetricFamilies.SegmentAccuracyRatio, MetricFamilies.SegmentGap, MetricFamilies.SegmentGapApart,
    ];

    /// <summary>The gap figures in <see cref="SegmentGaps.Figures"/> order, as the <c>figure</c> label names them.</summary>
    private static readonly string[] GapLabels = ["accuracy", "recall", "precision", "positive_rate"];

    /// <summary>A block per family of <see cref="Families"/>, in that order.</summary>
    public byte[][] Render(KeyView view)
    {
        var k = KeyOf(view);
        var text = new StringBuilder(1024);
        var blocks = new byte[Families.Length][];
        for (var f = 0; f < Families.Length; f++)
        {
            text.Clear();
            Write(text, f, k);
            blocks[f] = Encoding.UTF8.GetBytes(text.ToString());
        }

        return blocks;
    }

    private void Write(StringBuilder text, int f, Key k)
    {
        var family = Families[f];
        switch (f)
        {
            case <= 3:
                Seldon(text, k, (SeldonCounter)f);
                break;
            case 4:
                PerKey(text, family, k, k.Counted.Count);
                break;
            case 5:
                PerKey(text, family, k, k.Counted.Totals.Correct);
                break;
            case 6:
                Cells(text, family, k, k.Counted.Matrix, all: true);
                break;
            case 7:
                PerKey(text, family, k, k.Counted.Count - k.Snapshot.Count);
                break;
            case 8:
                PerKey(text, family, k, k.Counted.Totals.Correct - k.Snapshot.Totals.Correct);
                break;
            case 9:
                Cells(text, family, k, k.Snapshot.Relabelled, all: false);
                break;
            case 10:
                PerKey(text, family, k, k.Snapshot.Classes.Length);
                break;
            case 11:
                PerWindow(text, family, k, (w, _) => w.Figures.Count);
                break;
            case 12:
                PerWindow(text, family, k, (w, _) => w.Figures.Accuracy);
                break;
            case 13:
                PerWindow(text, family, k, (w, bound) => bound == "low" ? w.Figures.AccuracyInterval.Low : w.Figures.AccuracyInterval.High, Bounds);
                break;
            case 14:
                Averages(text, family, k, s => s.Precision);
                break;
            case 15:
                Averages(text, family, k, s => s.Recall);
                break;
            case 16:
                Averages(text, family, k, s => s.F1);
                break;
            case 17:
                PerClass(text, family, k, c => c.Precision);
                break;
            case 18:
                PerClass(text, family, k, c => c.Recall);
                break;
            case 19:
                PerClass(text, family, k, c => c.F1);
                break;
            case 20:
                PerClass(text, family, k, c => c.Support);
                break;
            case 21:
                Probabilistic(text, family, k, p => p.Count);
                break;
            case 22:
                Probabilistic(text, family, k, p => p.LogLoss);
                break;
            case 23:
                Probabilistic(text, family, k, p => p.Brier);
                break;
            case 24:
                Probabilistic(text, family, k, p => p.Ece);
                break;
            case 25:
                Probabilistic(text, family, k, p => p.TopK.Accuracy, p => $",k=\"{p.TopK.K}\"");
                break;
            case 26:
                Probabilistic(text, family, k, p => p.RocAuc);
                break;
            case 27:
                Probabilistic(text, family, k, p => p.AveragePrecision);
                break;
            case 28:
                Shift(text, family, k, s => s.PredictedPsi);
                break;
            case 29:
                Shift(text, family, k, s => s.TruthPsi);
                break;
            case 30:
                PerKey(text, family, k, k.Snapshot.RewardTotal);
                break;
            case 31:
                PerKey(text, family, k, k.Snapshot.RewardEvents);
                break;
            case 32:
                Segments(text, family, k, f => f.Count);
                break;
            case 33:
                Segments(text, family, k, f => f.Accuracy);
                break;
            case 34:
                Gaps(text, family, k, g => g.Gap);
                break;
            default:
                Gaps(text, family, k, g => g.Apart ? 1 : 0);
                break;
        }
    }

    private void Seldon(StringBuilder text, Key k, SeldonCounter counter)
    {
        var name = MetricFamilies.Of(counter).Name;
        var snapshot = k.Counted;
        var key = snapshot.Key;
        var common = $"deployment_name=\"{Escape(key.Deployment)}\",predictor_name=\"{Escape(key.Predictor)}\",model_name=\"{Escape(key.Model)}\"," +
            $"seldon_deployment_name=\"{Escape(key.Deployment)}\",seldon_deployment_namespace=\"{Escape(key.Namespace)}\",method=\"{Escape(method)}\"";
        if (decoders.For(key).IsBinary)
        {
            var (tp, fp, fn, tn) = SeldonCounters.BinaryTotals(snapshot);
            Sample(text, name, common, null, counter switch
            {
                SeldonCounter.TruePositive => tp,
                SeldonCounter.FalsePositive => fp,
                SeldonCounter.FalseNegative => fn,
                _ => tn,
            });
            return;
        }

        if (counter == SeldonCounter.TrueNegative)
        {
            return; // Seldon never emits TN for multiclass
        }

        for (var c = 0; c < snapshot.Classes.Length; c++)
        {
            var (tp, fp, fn) = SeldonCounters.MulticlassTotals(snapshot, c);
            Sample(text, name, $"class=\"{Escape(snapshot.Classes[c])}\"," + common, null, counter switch
            {
                SeldonCounter.TruePositive => tp,
                SeldonCounter.FalsePositive => fp,
                _ => fn,
            });
        }
    }

    /// <summary>A counter per confusion-matrix cell, folded as the exported classes are; all cells, or only those not zero.</summary>
    private void Cells(StringBuilder text, MetricFamily family, Key k, long[]? matrix, bool all)
    {
        if (matrix is null)
        {
            return;
        }

        var classes = k.All.Exported.Names;
        var folded = ExportedClasses.Fold(matrix, k.Snapshot.Classes.Length, maxExportedClasses);
        for (var t = 0; t < classes.Length; t++)
        {
            for (var p = 0; p < classes.Length; p++)
            {
                var value = folded[(t * classes.Length) + p];
                if (all || value != 0)
                {
                    Sample(text, family.Name, k.Labels, $",true_class=\"{Escape(classes[t])}\",predicted_class=\"{Escape(classes[p])}\"", value);
                }
            }
        }
    }

    private static void PerKey(StringBuilder text, MetricFamily family, Key k, double value) => Sample(text, family.Name, k.Labels, null, value);

    private static void PerWindow(StringBuilder text, MetricFamily family, Key k, Func<WindowFigures, string?, double> value, string[]? bounds = null)
    {
        foreach (var w in k.Windows)
        {
            foreach (var bound in bounds ?? [null!])
            {
                Sample(text, family.Name, k.Labels, bound is null ? w.Label : $"{w.Label},bound=\"{bound}\"", value(w, bound));
            }
        }
    }

    private static void Averages(StringBuilder text, MetricFamily family, Key k, Func<AveragedFigures, double> value)
    {
        foreach (var w in k.Windows)
        {
            Sample(text, family.Name, k.Labels, w.Label + ",average=\"macro\"", value(w.Figures.Macro));
            Sample(text, family.Name, k.Labels, w.Label + ",average=\"micro\"", value(w.Figures.Micro));
            Sample(text, family.Name, k.Labels, w.Label + ",average=\"weighted\"", value(w.Figures.Weighted));
        }
    }

    private static void PerClass(StringBuilder text, MetricFamily family, Key k, Func<ClassFigures, double> value)
    {
        foreach (var w in k.Windows)
        {
            foreach (var figures in w.Exported.PerClass)
            {
                Sample(text, family.Name, k.Labels, $"{w.Label},class=\"{Escape(figures.Class)}\"", value(figures));
            }
        }
    }

    /// <summary>A probabilistic figure, for the windows (and cumulative figures) whose rows carried probability vectors and have it.</summary>
    private static void Probabilistic(StringBuilder text, MetricFamily family, Key k, Func<ProbabilisticFigures, double?> value, Func<ProbabilisticFigures, string>? more = null)
    {
        foreach (var w in k.Windows)
        {
            if (w.Figures.Probabilistic is { } p && value(p) is { } v)
            {
                Sample(text, family.Name, k.Labels, w.Label + more?.Invoke(p), v);
            }
        }
    }

    /// <summary>A figure of each segment value of the key, cumulative (<c>window="all"</c>) and per window.</summary>
    private static void Segments(StringBuilder text, MetricFamily family, Key k, Func<FigureSet, double> value)
    {
        foreach (var segment in k.View.Segments)
        {
            var figures = segment.View.Figures();
            var labels = $",segment=\"{Escape(segment.Segment.Name)}\",value=\"{Escape(segment.Segment.Value)}\"";
            Sample(text, family.Name, k.Labels, k.All.Label + labels, value(figures.All));
            for (var i = 0; i < segment.View.Specs.Count; i++)
            {
                var name = segment.View.Specs[i].Name;
                Sample(text, family.Name, k.Labels, k.Windows[i + 1].Label + labels, value(figures.Windows[name]));
            }
        }
    }

    /// <summary>A figure of the key's gaps across each segment name's values.</summary>
    private static void Gaps(StringBuilder text, MetricFamily family, Key k, Func<SegmentGap, double> value)
    {
        if (k.View.Segments.Count == 0)
        {
            return;
        }

        foreach (var (name, gaps) in SegmentGaps.Of(k.View.Segments))
        {
            for (var i = 0; i < GapLabels.Length; i++)
            {
                if (gaps.Of(SegmentGaps.Figures[i]) is { } gap)
                {
                    Sample(text, family.Name, k.Labels, $",segment=\"{Escape(name)}\",figure=\"{GapLabels[i]}\"", value(gap));
                }
            }
        }
    }

    private static void Shift(StringBuilder text, MetricFamily family, Key k, Func<ShiftFigures, double> value)
    {
        foreach (var w in k.Windows)
        {
            if (w.Figures.Shift is { } shift)
            {
                Sample(text, family.Name, k.Labels, w.Label, value(shift));
            }
        }
    }

    /// <summary>A key's figures: cumulative first (<c>window="all"</c>), then each window in <c>--windows</c> order.</summary>
    private Key KeyOf(KeyView view)
    {
        var snapshot = view.Snapshot;
        var figures = view.Figures();
        var windows = new WindowFigures[1 + view.Specs.Count];
        windows[0] = Window("all", snapshot, figures.All);
        for (var i = 0; i < view.Specs.Count; i++)
        {
            var name = view.Specs[i].Name;
            var counts = view.Windows[i];
            windows[i + 1] = Window(name, new KeySnapshot(snapshot.Key, snapshot.Classes, counts.Matrix, counts.Count, snapshot.Version), figures.Windows[name]);
        }

        var key = snapshot.Key;
        var labels = $"deployment_namespace=\"{Escape(key.Namespace)}\",deployment_name=\"{Escape(key.Deployment)}\",predictor_name=\"{Escape(key.Predictor)}\",model_name=\"{Escape(key.Model)}\"";
        return new Key(view, snapshot, labels, windows);
    }

    private WindowFigures Window(string name, KeySnapshot snapshot, FigureSet figures)
    {
        var summary = display.Apply(MetricsCalculator.Summarize(snapshot, withMatrix: false));
        return new WindowFigures($",window=\"{Escape(name)}\"", ExportedClasses.Of(snapshot, summary, maxExportedClasses), figures);
    }

    /// <summary>One key's snapshot, its label text and its figures per window.</summary>
    private sealed record Key(KeyView View, KeySnapshot Snapshot, string Labels, WindowFigures[] Windows)
    {
        public WindowFigures All => Windows[0];

        /// <summary>Every truth counted, relabelled rows under both truths: what the counters show (<see cref="KeySnapshot.Counted"/>).</summary>
        public KeySnapshot Counted { get; } = Snapshot.Counted();
    }

    /// <summary>The figures of one window of a key: its <c>window</c> label text, exported classes and figure set.</summary>
    private sealed record WindowFigures(string Label, ExportedClasses Exported, FigureSet Figures);
}
