using FeedbackMetrics.Core.Metrics;
using Prometheus;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>The metric families that expose the read model: Seldon's four counters and our own series.</summary>
internal sealed class DomainSeries
{
    private static readonly string[] SeldonKeyLabels = ["deployment_name", "predictor_name", "model_name", "seldon_deployment_name", "seldon_deployment_namespace", "method"];

    private readonly bool _binary;
    private readonly string _method;
    private readonly Counter[] _seldon;

    public DomainSeries(IMetricFactory factory, bool binary, string method)
    {
        _binary = binary;
        _method = method;
        string[] key = MetricNames.KeyLabels;
        string[] seldonLabels = binary ? SeldonKeyLabels : ["class", .. SeldonKeyLabels];
        _seldon =
        [
            factory.CreateCounter("seldon_metric_true_positive_total", "Seldon: true positives (multiclass: rows whose prediction was right, by true class).", seldonLabels),
            factory.CreateCounter("seldon_metric_false_positive_total", "Seldon: false positives (multiclass: wrong rows, by predicted class).", seldonLabels),
            factory.CreateCounter("seldon_metric_false_negative_total", "Seldon: false negatives (multiclass: wrong rows, by true class).", seldonLabels),
            factory.CreateCounter("seldon_metric_true_negative_total", "Seldon: true negatives (binary only).", seldonLabels),
        ];
        var p = MetricNames.Prefix;
        Observations = factory.CreateCounter(p + "observations_total", "Feedback rows counted (each row of a batched payload is one).", key);
        Correct = factory.CreateCounter(p + "correct_total", "Feedback rows whose predicted class is the true class (accuracy = correct / observations, summable across replicas).", key);
        Confusion = factory.CreateCounter(p + "confusion_total", "Confusion-matrix cell: rows with this true class and this predicted class.", [.. key, "true_class", "predicted_class"]);
        Accuracy = factory.CreateGauge(p + "accuracy_ratio", "Share of rows whose predicted class is the true class.", key);
        Classes = factory.CreateGauge(p + "classes", "Classes seen for the model (rows and columns of its confusion matrix).", key);
        Precision = factory.CreateGauge(p + "precision_ratio", "Precision averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.", [.. key, "average"]);
        Recall = factory.CreateGauge(p + "recall_ratio", "Recall averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.", [.. key, "average"]);
        F1 = factory.CreateGauge(p + "f1_ratio", "F1 score averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.", [.. key, "average"]);
        ClassPrecision = factory.CreateGauge(p + "class_precision_ratio", "Precision of one class: TP / (TP + FP), 0 when nothing was predicted as it.", [.. key, "class"]);
        ClassRecall = factory.CreateGauge(p + "class_recall_ratio", "Recall of one class: TP / (TP + FN), 0 when it never was the truth.", [.. key, "class"]);
        ClassF1 = factory.CreateGauge(p + "class_f1_ratio", "F1 score of one class: harmonic mean of its precision and recall.", [.. key, "class"]);
        ClassSupport = factory.CreateGauge(p + "class_support", "Rows whose true class is this class.", [.. key, "class"]);
    }

    public Counter Observations { get; }

    public Counter Correct { get; }

    public Counter Confusion { get; }

    public Gauge Accuracy { get; }

    public Gauge Classes { get; }

    public Gauge Precision { get; }

    public Gauge Recall { get; }

    public Gauge F1 { get; }

    public Gauge ClassPrecision { get; }

    public Gauge ClassRecall { get; }

    public Gauge ClassF1 { get; }

    public Gauge ClassSupport { get; }

    public void UpdateSeldon(KeySnapshot snapshot, string[] keyLabels)
    {
        if (_binary)
        {
            var (tp, fp, fn, tn) = SeldonCounters.BinaryTotals(snapshot);
            var labels = SeldonLabels(keyLabels, null);
            _seldon[0].WithLabels(labels).IncTo(tp);
            _seldon[1].WithLabels(labels).IncTo(fp);
            _seldon[2].WithLabels(labels).IncTo(fn);
            _seldon[3].WithLabels(labels).IncTo(tn);
            return;
        }

        for (var c = 0; c < snapshot.Classes.Length; c++)
        {
            var (tp, fp, fn) = SeldonCounters.MulticlassTotals(snapshot, c);
            var labels = SeldonLabels(keyLabels, snapshot.Classes[c]);
            _seldon[0].WithLabels(labels).IncTo(tp);
            _seldon[1].WithLabels(labels).IncTo(fp);
            _seldon[2].WithLabels(labels).IncTo(fn);
        }
    }

    public void RemoveSeldon(string[] keyLabels, IEnumerable<string> classes)
    {
        foreach (var cls in _binary ? [null] : classes.Cast<string?>())
        {
            var labels = SeldonLabels(keyLabels, cls);
            foreach (var counter in _seldon)
            {
                counter.RemoveLabelled(labels);
            }
        }
    }

    /// <summary>Seldon's label values: deployment twice (deployment_name and seldon_deployment_name), as its server sets them.</summary>
    private string[] SeldonLabels(string[] keyLabels, string? cls)
    {
        // keyLabels = namespace, deployment, predictor, model
        string[] common = [keyLabels[1], keyLabels[2], keyLabels[3], keyLabels[1], keyLabels[0], _method];
        return cls is null ? common : [cls, .. common];
    }
}
