using System.Text;
using FeedbackMetrics.Server.Diagnostics;

namespace FeedbackMetrics.Tests.Docs;

/// <summary>
/// Renders docs/metrics.md from the server's family table (<see cref="MetricFamilies"/>): the prose around the tables
/// lives here, every name, type, label and help text comes from the table.
/// </summary>
public static class MetricsReference
{
    public const string Path = "docs/metrics.md";

    public const string RegenerateCommand = "FM_UPDATE_DOCS=1 dotnet test FeedbackMetrics.sln -c Release --filter \"FullyQualifiedName~MetricsReferenceTests\"";

    public static string Render()
    {
        var md = new StringBuilder();
        md.Append($"""
            # Metrics reference

            > Generated from the family table in `src/FeedbackMetrics.Server/Diagnostics/MetricFamilies.cs`; do not edit by
            > hand. After changing the table, regenerate with `{RegenerateCommand}`
            > (a test fails while this file differs from the table).

            `GET /v1/metrics` answers in the Prometheus text format (version 0.0.4); `?format=json` gives the JSON view
            instead ([api.md](api.md)). With `--protect_reads` the scrape needs a bearer token ([security.md](security.md)).
            A scrape passes `promtool check metrics` without warnings (a test runs it).

            ## Labels

            - **Seldon's counters** carry Seldon's labels unchanged, so existing PromQL and dashboards keep working:
              `class="CLASS_<i>"` (multiclass models only), `deployment_name`, `predictor_name`, `model_name`,
              `seldon_deployment_name`, `seldon_deployment_namespace` and `method` (the value of `--event_type`).
            - **Our per-model series** carry `deployment_namespace`, `deployment_name`, `predictor_name`, `model_name`:
              not `namespace`, which Kubernetes service discovery adds for the pod's own namespace.
            - **`window`**: `all` for the cumulative figures, else one of `--windows` (default `last_100,1h`). Select
              `window="all"` (or one window) before aggregating. Counters are cumulative and carry no `window`.
            - **Classes** (`class`, `true_class`, `predicted_class`): our series cover a model's first
              `--max_exported_classes` classes (default 50); the rest are folded into `class="other"` (counts summed; its
              precision, recall and F1 micro-averaged over the folded classes). Seldon's counters and the JSON view keep
              every class. `--class_names` (or `class_names` in the alert rules file, per deployment) shows `CLASS_0`,
              `CLASS_1`, … under those names in our series; Seldon's counters keep `CLASS_i`.
            - Label values chosen by senders (`type` of an ignored event, `sender`) get their own value for the first
              {MetricFamilies.MaxLabelValues} seen; later ones are counted as `other`.

            ## Counters never go down

            A truth that replaces an earlier one for the same request (a relabel, see [join.md](join.md)) counts its row
            again under the new truth, as Seldon's own server counts every feedback it gets; Prometheus would read a
            decrease as a reset. The `relabelled_*` counters say what relabels moved out, so the confusion matrix as it
            stands is `confusion_total - relabelled_total`, and the accuracy over all replicas is:

            ```promql
            (sum by (model_name) (feedback_metrics_correct_total) - (sum by (model_name) (feedback_metrics_relabelled_correct_total) or sum by (model_name) (feedback_metrics_correct_total) * 0))
              / (sum by (model_name) (feedback_metrics_observations_total) - (sum by (model_name) (feedback_metrics_relabelled_rows_total) or sum by (model_name) (feedback_metrics_observations_total) * 0))
            ```

            The shipped recording rule `feedback_metrics:accuracy:ratio` computes the same per model, grouped by all four
            model labels. Recording rules and alerts built on these series ship in
            `deploy/prometheus/feedback-metrics.rules.yaml` (unit-tested with `promtool test rules`) and, through the chart, as
            a PrometheusRule ([deploy.md](deploy.md)).

            ## Several replicas

            With `--state redis://…` every replica holds the global figures. The per-model series, the join series and
            `feedback_metrics_alert_firing` are written only by the replica holding the exporter lease
            (`feedback_metrics_model_series_exporter` is 1 there, 0 elsewhere; `feedback_metrics_keys` is 0 elsewhere);
            the per-replica series (events, replies, readiness, dedupe horizon, HTTP) are written by every replica and
            count what that replica did. Summing over replicas is therefore right for both kinds ([redis.md](redis.md)).

            """);
        Group(md, "Seldon's counters", """
            Seldon's `cm_models` semantics: for a multiclass model a right row adds TP{true class}; a wrong row adds
            FN{true class} and FP{predicted class}; TN is never written. For a binary model each row adds exactly one of
            TP, FP, FN, TN, without a `class` label.
            """, MetricFamilies.Seldon);
        Group(md, "Per model", "Cumulative, one series per model (and per cell for the confusion counters).", MetricFamilies.PerModel);
        Group(md, "Per model and window", """
            Derived gauges, for the cumulative figures (`window="all"`) and every window of `--windows`. The probabilistic
            figures (`scored_rows` to `average_precision`) are written only for windows with rows whose response carried
            a probability distribution, `roc_auc` and `average_precision` only where some class has both positives and
            negatives and every such row could be ranked (vectors of one width, at most 32 classes); the two PSI gauges
            only for windows, not for `all`. Definitions: [windows-and-statistics.md](windows-and-statistics.md).
            """, MetricFamilies.PerWindow);
        Group(md, "Per model and segment value", """
            With `--segment_by`: rows and accuracy per segment value (`segment` the name, `value` its value, `other` for the
            values past `--max_segment_values`) for `window="all"` and each window, and per segment name the gap of each
            figure across its values; the JSON view has every figure per value ([segments.md](segments.md)).
            """, MetricFamilies.PerSegment);
        Group(md, "Late-truth join", """
            Per namespace and deployment (where request ids are matched), once the deployment has seen a logged response
            or a truth-only feedback. See [join.md](join.md).
            """, MetricFamilies.Join);
        Group(md, "Alerts", "See [alerts.md](alerts.md).", MetricFamilies.Alerts);
        Group(md, "The server", """
            Per replica. `store_commit_*` are written with `--state sqlite` (the default) only, `model_series_exporter`
            with `--state redis://…` only. `auth_failures_total` has series once a sender or read check is configured
            ([security.md](security.md)); `sender_events_total` once an event from a verified sender was counted;
            `rate_limited_total` once `--max_events_per_source_per_second` refused a request.
            `http_request_duration_seconds` is prometheus-net's; its `_count` gives requests by route and status.
            """, MetricFamilies.Server);
        return md.ToString();
    }

    private static void Group(StringBuilder md, string title, string intro, IReadOnlyList<MetricFamily> families)
    {
        md.Append($"\n## {title}\n\n{intro}\n\n| name | type | labels | help |\n|---|---|---|---|\n");
        foreach (var family in families)
        {
            var labels = family.Labels.Count == 0 ? "" : string.Join(", ", family.Labels.Select(l => $"`{l}`"));
            md.Append($"| `{family.Name}` | {family.TypeName} | {labels} | {family.Help.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }
    }
}
