using FeedbackMetrics.Core.Join;

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
        Write("join_pending_responses", "gauge", "Logged responses waiting for their truth.", f => f.PendingResponses);
        Write("join_parked_truths", "gauge", "Truth-only feedback waiting for its response.", f => f.ParkedTruths);
        Write("join_responses_total", "counter", "Logged responses kept for the join (a second one for a request id held is not).", f => f.Totals.ResponsesSeen);
        Write("join_joined_total", "counter", "Requests whose response and truth met and were counted.", f => f.Totals.Joined);
        Write("join_corrections_total", "counter", "Truths that replaced an earlier truth of the same request (relabels; the rows moved).", f => f.Totals.Corrections);

        var expired = P + "join_expired_total";
        Family(writer, expired, "counter", "Pending responses (side=\"response\") and parked truths (side=\"truth\") forgotten unmatched, past --join_ttl (reason=\"ttl\") or the size cap (reason=\"cap\").");
        foreach (var (labels, f) in scopes)
        {
            Sample(writer, expired, labels, ",side=\"response\",reason=\"ttl\"", f.Totals.ExpiredResponses);
            Sample(writer, expired, labels, ",side=\"response\",reason=\"cap\"", f.Totals.EvictedResponses);
            Sample(writer, expired, labels, ",side=\"truth\",reason=\"ttl\"", f.Totals.ExpiredTruths);
            Sample(writer, expired, labels, ",side=\"truth\",reason=\"cap\"", f.Totals.EvictedTruths);
        }

        await writer.FlushIfLargeAsync(ct);
        Write("join_label_coverage_ratio", "gauge", "Share of the responses kept that got their truth (joined / responses).", f => f.Totals.LabelCoverage);

        var delay = P + "join_label_delay_seconds";
        Family(writer, delay, "gauge", "Time from a response's arrival to its truth's, by percentile (50, 90, 99; nearest rank since start, within 4.43 %; 0 when the truth came first).");
        foreach (var (labels, f) in scopes)
        {
            foreach (var (percentile, value) in DelayPercentiles)
            {
                if (value(f.LabelDelay) is { } seconds)
                {
                    Sample(writer, delay, labels, $",percentile=\"{percentile}\"", seconds);
                }
            }
        }

        Write("join_estimated_accuracy_ratio", "gauge", "Accuracy the pending responses are expected to have: their top probability calibrated on the rows already joined (pending rows with probabilities only).", f => f.Estimated.Accuracy);
        Write("join_estimated_rows", "gauge", "Pending rows with a probability distribution, what the estimated accuracy rests on.", f => f.Estimated.PendingRows);
        Write("join_estimate_realized_rows_total", "counter", "Pending rows with a probability distribution that have got their truth since the start: what the two figures below rest on.", f => f.Estimated.Realized.Rows);
        Write("join_estimate_expected_ratio", "gauge", "Accuracy the estimate expected of the pending rows that have got their truth (just before each came).", f => f.Estimated.Realized.Expected);
        Write("join_estimate_realized_ratio", "gauge", "Accuracy those rows turned out to have: its distance to the expected ratio is how far the estimate was off.", f => f.Estimated.Realized.Accuracy);
        await writer.FlushIfLargeAsync(ct);

        void Write(string family, string type, string help, Func<JoinFigures, double?> value)
        {
            var name = P + family;
            Family(writer, name, type, help);
            foreach (var (labels, f) in scopes)
            {
                if (value(f) is { } v)
                {
                    Sample(writer, name, labels, null, v);
                }
            }
        }
    }
}
