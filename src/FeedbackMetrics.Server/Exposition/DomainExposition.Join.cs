using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Server.Diagnostics;
using static FeedbackMetrics.Server.Exposition.PrometheusText;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>The late-truth join's series, per namespace and deployment (where request ids are matched).</summary>
public sealed partial class DomainExposition
{
    // A percentile label, not Prometheus's "quantile": that label is for summaries, and these are no summary (no _sum).
    private static readonly (string Percentile, Func<LabelDelay, double?> Value)[] DelayPercentiles =
        [("50", d => d.P50), ("90", d => d.P90), ("99", d => d.P99)];

    private static async Task WriteJoinAsync(ChunkedTextWriter writer, CancellationToken ct, List<JoinFigures> figures)
    {
        var scopes = figures.Select(f => (Labels: $"deployment_namespace=\"{Escape(f.Scope.Namespace)}\",deployment_name=\"{Escape(f.Scope.Deployment)}\"", Figures: f)).ToList();
        Write(MetricFamilies.JoinPendingResponses, f => f.PendingResponses);
        Write(MetricFamilies.JoinParkedTruths, f => f.ParkedTruths);
        Write(MetricFamilies.JoinResponsesTotal, f => f.Totals.ResponsesSeen);
        Write(MetricFamilies.JoinJoinedTotal, f => f.Totals.Joined);
        Write(MetricFamilies.JoinCorrectionsTotal, f => f.Totals.Corrections);

        var expired = MetricFamilies.JoinExpiredTotal.Name;
        Family(writer.Text, MetricFamilies.JoinExpiredTotal);
        foreach (var (labels, f) in scopes)
        {
            Sample(writer.Text, expired, labels, ",side=\"response\",reason=\"ttl\"", f.Totals.ExpiredResponses);
            Sample(writer.Text, expired, labels, ",side=\"response\",reason=\"cap\"", f.Totals.EvictedResponses);
            Sample(writer.Text, expired, labels, ",side=\"truth\",reason=\"ttl\"", f.Totals.ExpiredTruths);
            Sample(writer.Text, expired, labels, ",side=\"truth\",reason=\"cap\"", f.Totals.EvictedTruths);
        }

        await writer.FlushIfLargeAsync(ct);
        Write(MetricFamilies.JoinLabelCoverageRatio, f => f.Totals.LabelCoverage);

        var delay = MetricFamilies.JoinLabelDelaySeconds.Name;
        Family(writer.Text, MetricFamilies.JoinLabelDelaySeconds);
        foreach (var (labels, f) in scopes)
        {
            foreach (var (percentile, value) in DelayPercentiles)
            {
                if (value(f.LabelDelay) is { } seconds)
                {
                    Sample(writer.Text, delay, labels, $",percentile=\"{percentile}\"", seconds);
                }
            }
        }

        Write(MetricFamilies.JoinEstimatedAccuracyRatio, f => f.Estimated.Accuracy);
        Write(MetricFamilies.JoinEstimatedRows, f => f.Estimated.PendingRows);
        Write(MetricFamilies.JoinEstimateRealizedRowsTotal, f => f.Estimated.Realized.Rows);
        Write(MetricFamilies.JoinEstimateExpectedRatio, f => f.Estimated.Realized.Expected);
        Write(MetricFamilies.JoinEstimateRealizedRatio, f => f.Estimated.Realized.Accuracy);
        await writer.FlushIfLargeAsync(ct);

        void Write(MetricFamily family, Func<JoinFigures, double?> value)
        {
            var name = family.Name;
            Family(writer.Text, family);
            foreach (var (labels, f) in scopes)
            {
                if (value(f) is { } v)
                {
                    Sample(writer.Text, name, labels, null, v);
                }
            }
        }
    }
}
