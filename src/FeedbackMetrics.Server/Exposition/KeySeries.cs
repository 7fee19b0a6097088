using FeedbackMetrics.Core.Metrics;
using Prometheus;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>The exported series of one key, kept so a scrape only touches keys that changed and a reset removes exactly them.</summary>
internal sealed class KeySeries(KeyAggregate aggregate, string[] keyLabels)
{
    private readonly List<string[]> _classLabelSets = [];
    private readonly Dictionary<(int Truth, int Predicted), string[]> _cellLabelSets = [];

    public KeyAggregate Aggregate { get; } = aggregate;

    public long ExportedVersion { get; private set; } = -1;

    public void Update(KeySnapshot snapshot, DomainSeries series)
    {
        var summary = MetricsCalculator.Summarize(snapshot);
        var n = snapshot.Classes.Length;
        series.Observations.WithLabels(keyLabels).IncTo(snapshot.Count);
        series.Correct.WithLabels(keyLabels).IncTo(Trace(snapshot));
        series.Accuracy.WithLabels(keyLabels).Set(summary.Accuracy);
        series.Classes.WithLabels(keyLabels).Set(n);
        SetAverage(series, "macro", summary.Macro);
        SetAverage(series, "micro", summary.Micro);
        SetAverage(series, "weighted", summary.Weighted);

        for (var c = 0; c < n; c++)
        {
            var labels = ClassLabels(c, snapshot.Classes[c]);
            var figures = summary.PerClass[c];
            series.ClassPrecision.WithLabels(labels).Set(figures.Precision);
            series.ClassRecall.WithLabels(labels).Set(figures.Recall);
            series.ClassF1.WithLabels(labels).Set(figures.F1);
            series.ClassSupport.WithLabels(labels).Set(figures.Support);
        }

        for (var t = 0; t < n; t++)
        {
            for (var p = 0; p < n; p++)
            {
                series.Confusion.WithLabels(CellLabels(t, p, snapshot.Classes)).IncTo(snapshot[t, p]);
            }
        }

        series.UpdateSeldon(snapshot, keyLabels);
        ExportedVersion = snapshot.Version;
    }

    public void Remove(DomainSeries series)
    {
        series.Observations.RemoveLabelled(keyLabels);
        series.Correct.RemoveLabelled(keyLabels);
        series.Accuracy.RemoveLabelled(keyLabels);
        series.Classes.RemoveLabelled(keyLabels);
        foreach (var average in new[] { "macro", "micro", "weighted" })
        {
            var labels = (string[])[.. keyLabels, average];
            series.Precision.RemoveLabelled(labels);
            series.Recall.RemoveLabelled(labels);
            series.F1.RemoveLabelled(labels);
        }

        foreach (var labels in _classLabelSets)
        {
            series.ClassPrecision.RemoveLabelled(labels);
            series.ClassRecall.RemoveLabelled(labels);
            series.ClassF1.RemoveLabelled(labels);
            series.ClassSupport.RemoveLabelled(labels);
        }

        foreach (var labels in _cellLabelSets.Values)
        {
            series.Confusion.RemoveLabelled(labels);
        }

        series.RemoveSeldon(keyLabels, _classLabelSets.Select(l => l[^1]));
    }

    private static long Trace(KeySnapshot snapshot)
    {
        long correct = 0;
        for (var c = 0; c < snapshot.Classes.Length; c++)
        {
            correct += snapshot[c, c];
        }

        return correct;
    }

    private void SetAverage(DomainSeries series, string average, AveragedFigures figures)
    {
        string[] labels = [.. keyLabels, average];
        series.Precision.WithLabels(labels).Set(figures.Precision);
        series.Recall.WithLabels(labels).Set(figures.Recall);
        series.F1.WithLabels(labels).Set(figures.F1);
    }

    private string[] ClassLabels(int c, string name)
    {
        while (_classLabelSets.Count <= c)
        {
            _classLabelSets.Add([.. keyLabels, name]);
        }

        return _classLabelSets[c];
    }

    private string[] CellLabels(int truth, int predicted, string[] classes)
    {
        if (!_cellLabelSets.TryGetValue((truth, predicted), out var labels))
        {
            labels = [.. keyLabels, classes[truth], classes[predicted]];
            _cellLabelSets.Add((truth, predicted), labels);
        }

        return labels;
    }
}
