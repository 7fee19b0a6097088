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
    private const string P = MetricNames.Prefix;
    private static readonly string[] Bounds = ["low", "high"];

    public async Task WriteAsync(Stream output, CancellationToken cancellationToken)
    {
        var keys = gate?.Exports == false ? [] : book.ViewAll().Select(KeyOf).ToList();
        var writer = new ChunkedTextWriter(output);
        var ct = cancellationToken;

        await WriteSeldonAsync(writer, ct, keys, SeldonCounter.TruePositive, "Seldon: true positives (multiclass: rows whose prediction was right, by true class).");
        await WriteSeldonAsync(writer, ct, keys, SeldonCounter.FalsePositive, "Seldon: false positives (multiclass: wrong rows, by predicted class).");
        await WriteSeldonAsync(writer, ct, keys, SeldonCounter.FalseNegative, "Seldon: false negatives (multiclass: wrong rows, by true class).");
        await WriteSeldonAsync(writer, ct, keys, SeldonCounter.TrueNegative, "Seldon: true negatives (binary only).");

        // Counters count every truth: a relabelled row stays counted under its old truth and counts again under its new
        // one (Seldon counts every feedback it gets alike), so no counter ever goes down. The relabelled_* counters say
        // how many rows each cell gave up: the matrix as it stands is confusion_total - relabelled_total.
        await WritePerKeyAsync(writer, ct, keys, "observations_total", "counter", "Truths counted, one per row (each row of a batched payload is one; a relabel counts its row again under the new truth).", k => k.Counted.Count);
        await WritePerKeyAsync(writer, ct, keys, "correct_total", "counter", "Truths counted whose predicted class was the true class (accuracy = (correct - relabelled_correct) / (observations - relabelled_rows), summable across replicas).", k => k.Counted.Totals.Correct);
        await WriteCellsAsync(writer, ct, keys, "confusion_total", "Confusion-matrix cell: truths counted with this true class and this predicted class, relabelled rows included (classes past --max_exported_classes summed into \"other\").", k => k.Counted.Matrix, all: true);
        await WritePerKeyAsync(writer, ct, keys, "relabelled_rows_total", "counter", "Rows a later truth of the same request moved to another cell (the join's relabels).", k => k.Counted.Count - k.Snapshot.Count);
        await WritePerKeyAsync(writer, ct, keys, "relabelled_correct_total", "counter", "Relabelled rows that had been counted correct.", k => k.Counted.Totals.Correct - k.Snapshot.Totals.Correct);
        await WriteCellsAsync(writer, ct, keys, "relabelled_total", "Rows a relabel moved out of this confusion-matrix cell (cells that gave up none are not written).", k => k.Snapshot.Relabelled, all: false);
        await WritePerKeyAsync(writer, ct, keys, "classes", "gauge", "Classes seen for the model (rows and columns of its confusion matrix).", k => k.Snapshot.Classes.Length);
        await WritePerWindowAsync(writer, ct, keys, "rows", "Rows the figures of a window rest on (window=\"all\": every row counted; last_N: at most N; a span: rows counted in it).", (w, _) => w.Figures.Count);
        await WritePerWindowAsync(writer, ct, keys, "accuracy_ratio", "Share of rows whose predicted class is the true class (window=\"all\": cumulative).", (w, _) => w.Figures.Accuracy);
        await WritePerWindowAsync(writer, ct, keys, "accuracy_interval_ratio", "95 % Wilson interval of the accuracy (bound = low or high): a drop below the low bound of the cumulative figure is more than noise.", (w, bound) => bound == "low" ? w.Figures.AccuracyInterval.Low : w.Figures.AccuracyInterval.High, Bounds);
        await WriteAveragesAsync(writer, ct, keys, "precision", s => s.Precision, "Precision averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.");
        await WriteAveragesAsync(writer, ct, keys, "recall", s => s.Recall, "Recall averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.");
        await WriteAveragesAsync(writer, ct, keys, "f1", s => s.F1, "F1 score averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.");
        await WritePerClassAsync(writer, ct, keys, "class_precision_ratio", c => c.Precision, "Precision of one class: TP / (TP + FP), 0 when nothing was predicted as it.");
        await WritePerClassAsync(writer, ct, keys, "class_recall_ratio", c => c.Recall, "Recall of one class: TP / (TP + FN), 0 when it never was the truth.");
        await WritePerClassAsync(writer, ct, keys, "class_f1_ratio", c => c.F1, "F1 score of one class: harmonic mean of its precision and recall.");
        await WritePerClassAsync(writer, ct, keys, "class_support", c => c.Support, "Rows whose true class is this class.");
        await WriteProbabilisticAsync(writer, ct, keys, "scored_rows", "Rows whose response carried a probability distribution: what the log loss, Brier score, ECE and top-k accuracy rest on.", p => p.Count);
        await WriteProbabilisticAsync(writer, ct, keys, "log_loss", "Mean log loss of the true class's probability (scikit-learn log_loss, clipped at the float64 epsilon).", p => p.LogLoss);
        await WriteProbabilisticAsync(writer, ct, keys, "brier_score", "Mean squared distance between the probability vector and the one-hot truth (multiclass Brier score).", p => p.Brier);
        await WriteProbabilisticAsync(writer, ct, keys, "expected_calibration_error", "Expected calibration error over 10 equal-width bins of the top probability.", p => p.Ece);
        await WriteProbabilisticAsync(writer, ct, keys, "top_k_accuracy_ratio", "Share of rows whose true class is among the k highest probabilities (scikit-learn top_k_accuracy_score; k in the label).", p => p.TopK.Accuracy, p => $",k=\"{p.TopK.K}\"");
        await WriteShiftAsync(writer, ct, keys, "predicted_class_psi", "Population stability index of the window's predicted classes against the cumulative ones (windows only).", s => s.PredictedPsi);
        await WriteShiftAsync(writer, ct, keys, "true_class_psi", "Population stability index of the window's true classes against the cumulative ones (windows only).", s => s.TruthPsi);

        await WritePerKeyAsync(writer, ct, keys, "reward_total", "counter", "Sum of the rewards of Seldon Feedback messages (mean reward = reward_total / rewarded_events_total).", k => k.Snapshot.RewardTotal);
        await WritePerKeyAsync(writer, ct, keys, "rewarded_events_total", "counter", "Feedback events that carried a reward.", k => k.Snapshot.RewardEvents);

        if (join is not null)
        {
            // The join's figures are per deployment and, on a shared store, global on every replica: like the model
            // series, only the replica that exports those writes them, so a sum over replicas never multiplies them.
            await WriteJoinAsync(writer, ct, gate?.Exports == false ? [] : join.FiguresAll());
        }

        Family(writer, P + "alert_firing", "gauge", "1 for each alert rule firing for a model (rule, model labels); absent when it is not.");
        foreach (var alert in gate?.Exports == false ? [] : alerts.Firing)
        {
            var key = alert.Key;
            Sample(writer, P + "alert_firing", $"rule=\"{Escape(alert.Rule.Name)}\",deployment_namespace=\"{Escape(key.Namespace)}\",deployment_name=\"{Escape(key.Deployment)}\",predictor_name=\"{Escape(key.Predictor)}\",model_name=\"{Escape(key.Model)}\"", null, 1);
        }

        Family(writer, P + "alert_rules", "gauge", "Alert rules in force.");
        Sample(writer, P + "alert_rules", null, null, alerts.Rules.Count);
        Family(writer, P + "alert_rules_file_errors_total", "counter", "Times the alert rules file was refused (the last good rules stayed in force).");
        Sample(writer, P + "alert_rules_file_errors_total", null, null, alerts.FileErrors);
        Family(writer, P + "dedupe_horizon_seconds", "gauge", "Age of the oldest remembered event id: a redelivery older than this would be counted again.");
        Sample(writer, P + "dedupe_horizon_seconds", null, null, horizon.Seconds());
        Family(writer, P + "keys", "gauge", "Models (namespace, deployment, predictor, model) with figures.");
        Sample(writer, P + "keys", null, null, keys.Count);
        Family(writer, P + "ready", "gauge", "1 when state is loaded and storage is writable (the server takes events), else 0.");
        Sample(writer, P + "ready", null, null, readiness.NotReadyReason is null ? 1 : 0);
        await writer.FlushAsync(ct);
    }

    private async Task WriteSeldonAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, SeldonCounter counter, string help)
    {
        var name = SeldonCounters.KeyOf(counter) + "_total";
        Family(writer, name, "counter", help);
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
    private async Task WriteCellsAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, string family, string help, Func<Key, long[]?> cells, bool all)
    {
        var name = P + family;
        Family(writer, name, "counter", help);
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

    private static async Task WritePerKeyAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, string family, string type, string help, Func<Key, double> value)
    {
        var name = P + family;
        Family(writer, name, type, help);
        foreach (var k in keys)
        {
            Sample(writer, name, k.Labels, null, value(k));
            await writer.FlushIfLargeAsync(ct);
        }
    }

    private static async Task WritePerWindowAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, string family, string help, Func<WindowFigures, string?, double> value, string[]? bounds = null)
    {
        var name = P + family;
        Family(writer, name, "gauge", help);
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

    private static async Task WriteAveragesAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, string figure, Func<AveragedFigures, double> value, string help)
    {
        var name = $"{P}{figure}_ratio";
        Family(writer, name, "gauge", help);
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

    private static async Task WritePerClassAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, string family, Func<ClassFigures, double> value, string help)
    {
        var name = P + family;
        Family(writer, name, "gauge", help);
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
    private static async Task WriteProbabilisticAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, string family, string help, Func<ProbabilisticFigures, double> value, Func<ProbabilisticFigures, string>? more = null)
    {
        var name = P + family;
        Family(writer, name, "gauge", help);
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

    private static async Task WriteShiftAsync(ChunkedTextWriter writer, CancellationToken ct, List<Key> keys, string family, string help, Func<ShiftFigures, double> value)
    {
        var name = P + family;
        Family(writer, name, "gauge", help);
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

    private static void Family(ChunkedTextWriter writer, string name, string type, string help) =>
        writer.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

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
