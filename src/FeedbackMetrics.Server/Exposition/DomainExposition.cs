using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Server.Alerts;
using FeedbackMetrics.Server.Diagnostics;
using static FeedbackMetrics.Server.Exposition.PrometheusText;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>
/// Writes our series in the Prometheus text format (0.0.4): Seldon's four counters and our own per-model series from
/// the blocks kept per model version (<see cref="ModelSeriesCache"/>), then the join's, the alerts' and the server's
/// few series. It only reads: nothing is expired or forgotten by a scrape. prometheus-net writes the rest (HTTP,
/// process, server counters).
/// </summary>
public sealed partial class DomainExposition(MetricsBook book, Readiness readiness, DecoderSelector decoders, string method, DedupeHorizon horizon, ClassDisplay display, int maxExportedClasses, AlertBoard alerts, ModelSeriesGate? gate = null, IJoinFigures? join = null)
{
    private readonly ModelSeriesCache _models = new(book, new ModelSeries(decoders, method, display, maxExportedClasses), display);

    public async Task WriteAsync(Stream output, CancellationToken cancellationToken)
    {
        var exports = gate?.Exports != false;
        var (sections, models) = exports ? _models.Current() : (ModelSeriesCache.Empty, 0);
        var writer = new ChunkedTextWriter(output);
        var ct = cancellationToken;
        foreach (var section in sections)
        {
            await writer.WriteAsync(section, ct);
        }

        var text = writer.Text;
        if (join is not null)
        {
            // The join's figures are per deployment and, on a shared store, global on every replica: like the model
            // series, only the replica that exports those writes them, so a sum over replicas never multiplies them.
            await WriteJoinAsync(writer, ct, exports ? join.FiguresAll() : []);
        }

        Family(text, MetricFamilies.AlertFiring);
        foreach (var alert in exports ? alerts.Firing : [])
        {
            var key = alert.Key;
            Sample(text, MetricFamilies.AlertFiring.Name, $"rule=\"{Escape(alert.Rule.Name)}\",deployment_namespace=\"{Escape(key.Namespace)}\",deployment_name=\"{Escape(key.Deployment)}\",predictor_name=\"{Escape(key.Predictor)}\",model_name=\"{Escape(key.Model)}\"", null, 1);
        }

        Family(text, MetricFamilies.AlertRules);
        Sample(text, MetricFamilies.AlertRules.Name, null, null, alerts.Rules.Count);
        Family(text, MetricFamilies.AlertRulesFileErrorsTotal);
        Sample(text, MetricFamilies.AlertRulesFileErrorsTotal.Name, null, null, alerts.FileErrors);
        Family(text, MetricFamilies.DedupeHorizonSeconds);
        Sample(text, MetricFamilies.DedupeHorizonSeconds.Name, null, null, horizon.Seconds());
        Family(text, MetricFamilies.Keys);
        Sample(text, MetricFamilies.Keys.Name, null, null, models);
        Family(text, MetricFamilies.Ready);
        Sample(text, MetricFamilies.Ready.Name, null, null, readiness.NotReadyReason is null ? 1 : 0);
        await writer.FlushAsync(ct);
    }
}
