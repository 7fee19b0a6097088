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

    /// <summary>
    /// Writes our models' series, then <paramref name="head"/> (the text of prometheus-net's registry), then our other
    /// series (the order of families is free in the text format); with
    /// <paramref name="gzip"/> as one gzip member whose first part, the models' sections, is compressed once per change.
    /// </summary>
    public async Task WriteAsync(Stream output, byte[] head, bool gzip, CancellationToken cancellationToken)
    {
        var exports = gate?.Exports != false;
        var (sections, models) = exports ? _models.Current() : (ModelSeriesCache.Empty, 0);
        var ct = cancellationToken;
        if (!gzip)
        {
            var writer = new ChunkedTextWriter(output);
            foreach (var section in sections)
            {
                await writer.WriteAsync(section, ct);
            }

            await writer.WriteAsync(head, ct);

            await WriteRestAsync(writer, models, exports, ct);
            return;
        }

        using var rest = new MemoryStream();
        await WriteRestAsync(new ChunkedTextWriter(rest), models, exports, ct);
        var tail = rest.ToArray();
        var compressed = _models.Compressed(sections);
        var crc = GzipStitch.Crc(GzipStitch.Crc(compressed.Crc, head), tail);
        await output.WriteAsync(GzipStitch.Header, ct);
        await output.WriteAsync(compressed.Bytes, ct);
        await output.WriteAsync(GzipStitch.Deflate([head, tail], last: true), ct);
        await output.WriteAsync(GzipStitch.Trailer(crc, compressed.Length + head.Length + tail.Length), ct);
    }

    /// <summary>The join's, the alerts' and the server's series.</summary>
    private async Task WriteRestAsync(ChunkedTextWriter writer, int models, bool exports, CancellationToken ct)
    {
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
