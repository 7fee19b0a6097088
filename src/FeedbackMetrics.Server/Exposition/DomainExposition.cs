using System.Globalization;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Server.Alerts;
using FeedbackMetrics.Server.Diagnostics;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>
/// Writes the read model in the Prometheus text format (0.0.4): Seldon's four counters and our own series,
/// straight from key snapshots and streamed, with no per-series objects kept between scrapes, so memory
/// does not grow with the number of series. prometheus-net writes the rest (HTTP, process, server counters).
/// </summary>
public sealed partial class DomainExposition(MetricsBook book, Readiness readiness, DecoderSelector decoders, string method, DedupeHorizon horizon, ClassDisplay display, int maxExportedClasses, AlertBoard alerts, ModelSeriesGate? gate = null, IJoinFigures? join = null)
{
    private static readonly string[] Bounds = ["low", "high"];

    public async Task WriteAsync(Stream output, CancellationToken cancellationToken)
    {
        var keys = gate?.Exports == false ? [] : book.ViewAll().Select(KeyOf).ToList();
        var writer = new ChunkedTextWriter(output);
        var ct = cancellationToken;

        await WriteSeldonAsync(writer, ct, keys, SeldonCounter.TruePositive);
        await WriteSeldonAsync(writer, ct, keys, SeldonCounter.FalsePositive);
        await WriteSeldonAsync(writer, ct, keys, SeldonCounter.FalseNegative);
        await WriteSeldonAsync(writer, ct, keys, SeldonCounter.TrueNegative);

        // Counters count every truth: a relabelled row stays counted under its old truth and counts again under its new
        // one (Seldon counts every feedback it gets alike), so no counter ever goes down. The relabelled_* counters say
        // how many rows each cell gave up: the matrix as it stands is confusion_total - relabelled_total.
        await WritePerKeyAsync(writer, ct, keys, MetricFamilies.ObservationsTotal, k => k.Counted.Count);
        await WritePerKeyAsync(writer, ct, keys, MetricFamilies.CorrectTotal, k => k.Counted.Totals.Correct);
        await WriteCellsAsync(writer, ct, keys, MetricFamilies.ConfusionTotal, k => k.Counted.Matrix, all: true);
        await WritePerKeyAsync(writer, ct, keys, MetricFamilies.RelabelledRowsTotal, k => k.Counted.Count - k.Snapshot.Count);
        await WritePerKeyAsync(writer, ct, keys, MetricFamilies.RelabelledCorrectTotal, k => k.Counted.Totals.Correct - k.Snapshot.Totals.Correct);
        await WriteCellsAsync(writer, ct, keys, MetricFamilies.RelabelledTotal, k => k.Snapshot.Relabelled, all: false);
        await WritePerKeyAsync(writer, ct, keys, MetricFamilies.Classes, k => k.Snapshot.Classes.Length);
        await WritePerWindowAsync(writer, ct, keys, MetricFamilies.Rows, (w, _) => w.Figures.Count);
        await WritePerWindowAsync(writer, ct, keys, MetricFamilies.AccuracyRatio, (w, _) => w.Figures.Accuracy);
        await WritePerWindowAsync(writer, ct, keys, MetricFamilies.AccuracyIntervalRatio, (w, bound) => bound == "low" ? w.Figures.AccuracyInterval.Low : w.Figures.AccuracyInterval.High, Bounds);
        await WriteAveragesAsync(writer, ct, keys, MetricFamilies.PrecisionRatio, s => s.Precision);
        await WriteAveragesAsync(writer, ct, keys, MetricFamilies.RecallRatio, s => s.Recall);
        await WriteAveragesAsync(writer, ct, keys, MetricFamilies.F1Ratio, s => s.F1);
        await WritePerClassAsync(writer, ct, keys, MetricFamilies.ClassPrecisionRatio, c => c.Precision);
        await WritePerClassAsync(writer, ct, keys, MetricFamilies.ClassRecallRatio, c => c.Recall);
        await WritePerClassAsync(writer, ct, keys, MetricFamilies.ClassF1Ratio, c => c.F1);
        await WritePerClassAsync(writer, ct, keys, MetricFamilies.ClassSupport, c => c.Support);
        await WriteProbabilisticAsync(writer, ct, keys, MetricFamilies.ScoredRows, p => p.Count);
        await WriteProbabilisticAsync(writer, ct, keys, MetricFamilies.LogLoss, p => p.LogLoss);
        await WriteProbabilisticAsync(writer, ct, keys, MetricFamilies.BrierScore, p => p.Brier);
        await WriteProbabilisticAsync(writer, ct, keys, MetricFamilies.ExpectedCalibrationError, p => p.Ece);
        await WriteProbabilisticAsync(writer, ct, keys, MetricFamilies.TopKAccuracyRatio, p => p.TopK.Accuracy, p => $",k=\"{p.TopK.K}\"");
        await WriteShiftAsync(writer, ct, keys, MetricFamilies.PredictedClassPsi, s => s.PredictedPsi);
        await WriteShiftAsync(writer, ct, keys, MetricFamilies.TrueClassPsi, s => s.TruthPsi);

        await WritePerKeyAsync(writer, ct, keys, MetricFamilies.RewardTotal, k => k.Snapshot.RewardTotal);
        await WritePerKeyAsync(writer, ct, keys, MetricFamilies.RewardedEventsTotal, k => k.Snapshot.RewardEvents);

        if (join is not null)
        {
            // The join's figures are per deployment and, on a shared store, global on every replica: like the model
            // series, only the replica that exports those writes them, so a sum over replicas never multiplies them.
            await WriteJoinAsync(writer, ct, gate?.Exports == false ? [] : join.FiguresAll());
        }

        Family(writer, MetricFamilies.AlertFiring);
        foreach (var alert in gate?.Exports == false ? [] : alerts.Firing)
        {
            var key = alert.Key;
            Sample(writer, MetricFamilies.AlertFiring.Name, $"rule=\"{Escape(alert.Rule.Name)}\",deployment_namespace=\"{Escape(key.Namespace)}\",deployment_name=\"{Escape(key.Deployment)}\",predictor_name=\"{Escape(key.Predictor)}\",model_name=\"{Escape(key.Model)}\"", null, 1);
        }

        Family(writer, MetricFamilies.AlertRules);
        Sample(writer, MetricFamilies.AlertRules.Name, null, null, alerts.Rules.Count);
        Family(writer, MetricFamilies.AlertRulesFileErrorsTotal);
        Sample(writer, MetricFamilies.AlertRulesFileErrorsTotal.Name, null, null, alerts.FileErrors);
        Family(writer, MetricFamilies.DedupeHorizonSeconds);
        Sample(writer, MetricFamilies.DedupeHorizonSeconds.Name, null, null, horizon.Seconds());
        Family(writer, MetricFamilies.Keys);
        Sample(writer, MetricFamilies.Keys.Name, null, null, keys.Count);
        Family(writer, MetricFamilies.Ready);
        Sample(writer, MetricFamilies.Ready.Name, null, null, readiness.NotReadyReason is null ? 1 : 0);
        await writer.FlushAsync(ct);
    }

    private async Task WriteSeldonAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, SeldonCounter counter)
    {
        var family = MetricFamilies.Of(counter);
        var name = family.Name;
        Family(writer, family);
        foreach (var k in keys)
        {
            var snapshot = k.Counted;
            var key = snapshot.Key;
            var common = $"deployment_name=\"{Escape(key.Deployment)}\",predictor_name=\"{Escape(key.Predictor)}\",model_name=\"{Escape(key.Model)}\"," +
                $"seldon_deployment_name=\"{Escape(key.Deployment)}\",seldon_deployment_namespace=\"{Escape(key.Namespace)}\",method=\"{Escape(method)}\"";
            if (decoders.For(key).IsBinary)
            {
                var (tp, fp, fn, tn) = SeldonCounters.BinaryTotals(snapshot);
                Sample(writer, name, common, null, counter switch
                {
                    SeldonCounter.TruePositive => tp,
                    SeldonCounter.FalsePositive => fp,
                    SeldonCounter.FalseNegative => fn,
                    _ => tn,
                });
                await writer.FlushIfLargeAsync(ct);
                continue;
            }

            if (counter == SeldonCounter.TrueNegative)
            {
                continue; // Seldon never emits TN for multiclass
            }

            for (var c = 0; c < snapshot.Classes.Length; c++)
            {
                var (tp, fp, fn) = SeldonCounters.MulticlassTotals(snapshot, c);
                var value = counter switch
                {
                    SeldonCounter.TruePositive => tp,
                    SeldonCounter.FalsePositive => fp,
                    _ => fn,
                };
                Sample(writer, name, $"class=\"{Escape(snapshot.Classes[c])}\"," + common, null, value);
            }

            await writer.FlushIfLargeAsync(ct);
        }
    }

    /// <summary>A counter per confusion-matrix cell of each key, folded as the exported classes are; all cells, or only those not zero.</summary>
    private async Task WriteCellsAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, MetricFamily family, Func<Key, long[]?> cells, bool all)
    {
        var name = family.Name;
        Family(writer, family);
        foreach (var k in keys)
        {
            if (cells(k) is not { } matrix)
            {
                continue;
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
                        Sample(writer, name, k.Labels, $",true_class=\"{Escape(classes[t])}\",predicted_class=\"{Escape(classes[p])}\"", value);
                    }
                }

                await writer.FlushIfLargeAsync(ct);
            }
        }
    }

    private static async Task WritePerKeyAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, MetricFamily family, Func<Key, double> value)
    {
        var name = family.Name;
        Family(writer, family);
        foreach (var k in keys)
        {
            Sample(writer, name, k.Labels, null, value(k));
            await writer.FlushIfLargeAsync(ct);
        }
    }

    private static async Task WritePerWindowAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, MetricFamily family, Func<WindowFigures, string?, double> value, string[]? bounds = null)
    {
        var name = family.Name;
        Family(writer, family);
        foreach (var k in keys)
        {
            foreach (var w in k.Windows)
            {
                foreach (var bound in bounds ?? [null!])
                {
                    Sample(writer, name, k.Labels, bound is null ? w.Label : $"{w.Label},bound=\"{bound}\"", value(w, bound));
                }
            }

            await writer.FlushIfLargeAsync(ct);
        }
    }

    private static async Task WriteAveragesAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, MetricFamily family, Func<AveragedFigures, double> value)
    {
        var name = family.Name;
        Family(writer, family);
        foreach (var k in keys)
        {
            foreach (var w in k.Windows)
            {
                Sample(writer, name, k.Labels, w.Label + ",average=\"macro\"", value(w.Figures.Macro));
                Sample(writer, name, k.Labels, w.Label + ",average=\"micro\"", value(w.Figures.Micro));
                Sample(writer, name, k.Labels, w.Label + ",average=\"weighted\"", value(w.Figures.Weighted));
            }

            await writer.FlushIfLargeAsync(ct);
        }
    }

    private static async Task WritePerClassAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, MetricFamily family, Func<ClassFigures, double> value)
    {
        var name = family.Name;
        Family(writer, family);
        foreach (var k in keys)
        {
            foreach (var w in k.Windows)
            {
                foreach (var figures in w.Exported.PerClass)
                {
                    Sample(writer, name, k.Labels, $"{w.Label},class=\"{Escape(figures.Class)}\"", value(figures));
                }
            }

            await writer.FlushIfLargeAsync(ct);
        }
    }

    /// <summary>A probabilistic figure, for the windows (and cumulative figures) whose rows carried probability vectors.</summary>
    private static async Task WriteProbabilisticAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, MetricFamily family, Func<ProbabilisticFigures, double> value, Func<ProbabilisticFigures, string>? more = null)
    {
        var name = family.Name;
        Family(writer, family);
        foreach (var k in keys)
        {
            foreach (var w in k.Windows)
            {
                if (w.Figures.Probabilistic is { } p)
                {
                    Sample(writer, name, k.Labels, w.Label + more?.Invoke(p), value(p));
                }
            }

            await writer.FlushIfLargeAsync(ct);
        }
    }

    private static async Task WriteShiftAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, MetricFamily family, Func<ShiftFigures, double> value)
    {
        var name = family.Name;
        Family(writer, family);
        foreach (var k in keys)
        {
            foreach (var w in k.Windows)
            {
                if (w.Figures.Shift is { } shift)
                {
                    Sample(writer, name, k.Labels, w.Label, value(shift));
                }
            }

            await writer.FlushIfLargeAsync(ct);
        }
    }

    /// <summary>A key's figures for one scrape: cumulative first (<c>window="all"</c>), then each window in <c>--windows</c> order.</summary>
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

        return new Key(snapshot, KeyLabels(snapshot), windows);
    }

    private WindowFigures Window(string name, KeySnapshot snapshot, FigureSet figures)
    {
        var summary = display.Apply(MetricsCalculator.Summarize(snapshot, withMatrix: false));
        return new WindowFigures($",window=\"{Escape(name)}\"", ExportedClasses.Of(snapshot, summary, maxExportedClasses), figures);
    }

    private static string KeyLabels(KeySnapshot snapshot)
    {
        var key = snapshot.Key;
        return $"deployment_namespace=\"{Escape(key.Namespace)}\",deployment_name=\"{Escape(key.Deployment)}\",predictor_name=\"{Escape(key.Predictor)}\",model_name=\"{Escape(key.Model)}\"";
    }

    private static void Family(ChunkedTextWriter writer, MetricFamily family) =>
        writer.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help).Append('\n')
            .Append("# TYPE ").Append(family.Name).Append(' ').Append(family.TypeName).Append('\n');

    /// <summary>One sample line; <paramref name="moreLabels"/> starts with a comma and follows <paramref name="labels"/>.</summary>
    private static void Sample(ChunkedTextWriter writer, string name, string? labels, string? moreLabels, double value)
    {
        writer.Append(name);
        if (labels is not null)
        {
            writer.Append('{').Append(labels).Append(moreLabels).Append('}');
        }

        writer.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>Label value escaping of the text format: backslash, double quote and line feed.</summary>
    private static string Escape(string value) =>
        value.AsSpan().IndexOfAny('\\', '"', '\n') < 0 ? value : value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>One key's snapshot, its label text and its figures per window, computed once per scrape.</summary>
    private sealed record Key(KeySnapshot Snapshot, string Labels, WindowFigures[] Windows)
    {
        public WindowFigures All => Windows[0];

        /// <summary>Every truth counted, relabelled rows under both truths: what the counters show (<see cref="KeySnapshot.Counted"/>).</summary>
        public KeySnapshot Counted { get; } = Snapshot.Counted();
    }

    /// <summary>The figures of one window of a key: its <c>window</c> label text, exported classes and figure set.</summary>
    private sealed record WindowFigures(string Label, ExportedClasses Exported, FigureSet Figures);
}
