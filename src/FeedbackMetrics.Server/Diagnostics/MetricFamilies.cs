using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>
/// Every metric family the server exposes, in one table: the exposition writer, the server's and the security
/// counters read their names, types and help from it, and docs/metrics.md is generated from it (a test fails when the
/// committed file differs). Lists are in the order a scrape writes them within each group.
/// </summary>
public static class MetricFamilies
{
    /// <summary>Distinct values a label chosen by senders (an event type, a token subject) gets; later ones are counted as "other".</summary>
    public const int MaxLabelValues = 64;

    private const string P = MetricNames.Prefix;

    /// <summary>Our per-model labels, named so as not to clash with the <c>namespace</c> label Kubernetes service discovery adds.</summary>
    private static readonly string[] Model = ["deployment_namespace", "deployment_name", "predictor_name", "model_name"];
    private static readonly string[] Window = [.. Model, "window"];
    private static readonly string[] Deployment = ["deployment_namespace", "deployment_name"];
    private static readonly string[] None = [];
    private static readonly string[] SeldonLabels = ["deployment_name", "predictor_name", "model_name", "seldon_deployment_name", "seldon_deployment_namespace", "method"];

    // Seldon's four counters, named as its server names them (the metric event's keys plus _total).
    public static readonly MetricFamily SeldonTruePositive = SeldonFamily(SeldonCounter.TruePositive, "Seldon: true positives (multiclass: rows whose prediction was right, by true class).");
    public static readonly MetricFamily SeldonFalsePositive = SeldonFamily(SeldonCounter.FalsePositive, "Seldon: false positives (multiclass: wrong rows, by predicted class).");
    public static readonly MetricFamily SeldonFalseNegative = SeldonFamily(SeldonCounter.FalseNegative, "Seldon: false negatives (multiclass: wrong rows, by true class).");
    public static readonly MetricFamily SeldonTrueNegative = SeldonFamily(SeldonCounter.TrueNegative, "Seldon: true negatives (binary only).");

    // Per model, cumulative.
    public static readonly MetricFamily ObservationsTotal = new(P + "observations_total", MetricType.Counter, Model, "Truths counted, one per row (each row of a batched payload is one; a relabel counts its row again under the new truth).");
    public static readonly MetricFamily CorrectTotal = new(P + "correct_total", MetricType.Counter, Model, "Truths counted whose predicted class was the true class (accuracy = (correct - relabelled_correct) / (observations - relabelled_rows), summable across replicas).");
    public static readonly MetricFamily ConfusionTotal = new(P + "confusion_total", MetricType.Counter, [.. Model, "true_class", "predicted_class"], "Confusion-matrix cell: truths counted with this true class and this predicted class, relabelled rows included (classes past --max_exported_classes summed into \"other\").");
    public static readonly MetricFamily RelabelledRowsTotal = new(P + "relabelled_rows_total", MetricType.Counter, Model, "Rows a later truth of the same request moved to another cell (the join's relabels).");
    public static readonly MetricFamily RelabelledCorrectTotal = new(P + "relabelled_correct_total", MetricType.Counter, Model, "Relabelled rows that had been counted correct.");
    public static readonly MetricFamily RelabelledTotal = new(P + "relabelled_total", MetricType.Counter, [.. Model, "true_class", "predicted_class"], "Rows a relabel moved out of this confusion-matrix cell (cells that gave up none are not written).");
    public static readonly MetricFamily Classes = new(P + "classes", MetricType.Gauge, Model, "Classes seen for the model (rows and columns of its confusion matrix).");
    public static readonly MetricFamily RewardTotal = new(P + "reward_total", MetricType.Counter, Model, "Sum of the rewards of Seldon Feedback messages (mean reward = reward_total / rewarded_events_total).");
    public static readonly MetricFamily RewardedEventsTotal = new(P + "rewarded_events_total", MetricType.Counter, Model, "Feedback events that carried a reward.");

    // Per model and window (window="all": cumulative).
    public static readonly MetricFamily Rows = new(P + "rows", MetricType.Gauge, Window, "Rows the figures of a window rest on (window=\"all\": every row counted; last_N: at most N; a span: rows counted in it).");
    public static readonly MetricFamily AccuracyRatio = new(P + "accuracy_ratio", MetricType.Gauge, Window, "Share of rows whose predicted class is the true class (window=\"all\": cumulative).");
    public static readonly MetricFamily AccuracyIntervalRatio = new(P + "accuracy_interval_ratio", MetricType.Gauge, [.. Window, "bound"], "95 % Wilson interval of the accuracy (bound = low or high): a drop below the low bound of the cumulative figure is more than noise.");
    public static readonly MetricFamily PrecisionRatio = new(P + "precision_ratio", MetricType.Gauge, [.. Window, "average"], "Precision averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.");
    public static readonly MetricFamily RecallRatio = new(P + "recall_ratio", MetricType.Gauge, [.. Window, "average"], "Recall averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.");
    public static readonly MetricFamily F1Ratio = new(P + "f1_ratio", MetricType.Gauge, [.. Window, "average"], "F1 score averaged over classes (average = macro, micro or weighted by support), scikit-learn definitions.");
    public static readonly MetricFamily ClassPrecisionRatio = new(P + "class_precision_ratio", MetricType.Gauge, [.. Window, "class"], "Precision of one class: TP / (TP + FP), 0 when nothing was predicted as it.");
    public static readonly MetricFamily ClassRecallRatio = new(P + "class_recall_ratio", MetricType.Gauge, [.. Window, "class"], "Recall of one class: TP / (TP + FN), 0 when it never was the truth.");
    public static readonly MetricFamily ClassF1Ratio = new(P + "class_f1_ratio", MetricType.Gauge, [.. Window, "class"], "F1 score of one class: harmonic mean of its precision and recall.");
    public static readonly MetricFamily ClassSupport = new(P + "class_support", MetricType.Gauge, [.. Window, "class"], "Rows whose true class is this class.");
    public static readonly MetricFamily ScoredRows = new(P + "scored_rows", MetricType.Gauge, Window, "Rows whose response carried a probability distribution: what the log loss, Brier score, ECE and top-k accuracy rest on.");
    public static readonly MetricFamily LogLoss = new(P + "log_loss", MetricType.Gauge, Window, "Mean log loss of the true class's probability (scikit-learn log_loss, clipped at the float64 epsilon).");
    public static readonly MetricFamily BrierScore = new(P + "brier_score", MetricType.Gauge, Window, "Mean squared distance between the probability vector and the one-hot truth (multiclass Brier score).");
    public static readonly MetricFamily ExpectedCalibrationError = new(P + "expected_calibration_error", MetricType.Gauge, Window, "Expected calibration error over 10 equal-width bins of the top probability.");
    public static readonly MetricFamily TopKAccuracyRatio = new(P + "top_k_accuracy_ratio", MetricType.Gauge, [.. Window, "k"], "Share of rows whose true class is among the k highest probabilities (scikit-learn top_k_accuracy_score; k in the label).");
    public static readonly MetricFamily RocAuc = new(P + "roc_auc", MetricType.Gauge, Window, "ROC AUC of the scored rows (scikit-learn roc_auc_score: the second class's probability for two classes, one-vs-rest macro average for more), from score histograms within 1e-3.");
    public static readonly MetricFamily AveragePrecision = new(P + "average_precision", MetricType.Gauge, Window, "Average precision of the scored rows (scikit-learn average_precision_score, as roc_auc), from score histograms within 1e-3.");
    public static readonly MetricFamily PredictedClassPsi = new(P + "predicted_class_psi", MetricType.Gauge, Window, "Population stability index of the window's predicted classes against the cumulative ones (windows only).");
    public static readonly MetricFamily TrueClassPsi = new(P + "true_class_psi", MetricType.Gauge, Window, "Population stability index of the window's true classes against the cumulative ones (windows only).");

    // Per model and segment value (--segment_by), and the gaps across a segment name's values.
    public static readonly MetricFamily SegmentRows = new(P + "segment_rows", MetricType.Gauge, [.. Window, "segment", "value"], "Rows counted under one value of a segment (--segment_by; value=\"other\": the values past --max_segment_values), per window as rows.");
    public static readonly MetricFamily SegmentAccuracyRatio = new(P + "segment_accuracy_ratio", MetricType.Gauge, [.. Window, "segment", "value"], "Accuracy of the rows of one segment value, per window as accuracy_ratio.");
    public static readonly MetricFamily SegmentGap = new(P + "segment_gap", MetricType.Gauge, [.. Model, "segment", "figure"], "Largest minus smallest cumulative figure (figure = accuracy, recall, precision or positive_rate) across a segment's values but \"other\"; present with two values or more.");
    public static readonly MetricFamily SegmentGapApart = new(P + "segment_gap_apart", MetricType.Gauge, [.. Model, "segment", "figure"], "1 when the 95 % intervals of the largest and the smallest figure of segment_gap do not overlap (the gap is more than noise), else 0.");

    // The late-truth join, per namespace and deployment (where request ids are matched).
    public static readonly MetricFamily JoinPendingResponses = new(P + "join_pending_responses", MetricType.Gauge, Deployment, "Logged responses waiting for their truth.");
    public static readonly MetricFamily JoinParkedTruths = new(P + "join_parked_truths", MetricType.Gauge, Deployment, "Truth-only feedback waiting for its response.");
    public static readonly MetricFamily JoinResponsesTotal = new(P + "join_responses_total", MetricType.Counter, Deployment, "Logged responses kept for the join (a second one for a request id held is not).");
    public static readonly MetricFamily JoinJoinedTotal = new(P + "join_joined_total", MetricType.Counter, Deployment, "Requests whose response and truth met and were counted.");
    public static readonly MetricFamily JoinCorrectionsTotal = new(P + "join_corrections_total", MetricType.Counter, Deployment, "Truths that replaced an earlier truth of the same request (relabels; the rows moved).");
    public static readonly MetricFamily JoinExpiredTotal = new(P + "join_expired_total", MetricType.Counter, [.. Deployment, "side", "reason"], "Pending responses (side=\"response\") and parked truths (side=\"truth\") forgotten unmatched, past --join_ttl (reason=\"ttl\") or the size cap (reason=\"cap\").");
    public static readonly MetricFamily JoinLabelCoverageRatio = new(P + "join_label_coverage_ratio", MetricType.Gauge, Deployment, "Share of the responses kept that got their truth (joined / responses).");
    public static readonly MetricFamily JoinLabelDelaySeconds = new(P + "join_label_delay_seconds", MetricType.Gauge, [.. Deployment, "percentile"], "Time from a response's arrival to its truth's, by percentile (50, 90, 99; nearest rank since start, within 4.43 %; 0 when the truth came first).");
    public static readonly MetricFamily JoinEstimatedAccuracyRatio = new(P + "join_estimated_accuracy_ratio", MetricType.Gauge, Deployment, "Accuracy the pending responses are expected to have: their top probability calibrated on the rows already joined (pending rows with probabilities only).");
    public static readonly MetricFamily JoinEstimatedRows = new(P + "join_estimated_rows", MetricType.Gauge, Deployment, "Pending rows with a probability distribution, what the estimated accuracy rests on.");
    public static readonly MetricFamily JoinEstimateRealizedRowsTotal = new(P + "join_estimate_realized_rows_total", MetricType.Counter, Deployment, "Pending rows with a probability distribution that have got their truth since the start: what the two figures below rest on.");
    public static readonly MetricFamily JoinEstimateExpectedRatio = new(P + "join_estimate_expected_ratio", MetricType.Gauge, Deployment, "Accuracy the estimate expected of the pending rows that have got their truth (just before each came).");
    public static readonly MetricFamily JoinEstimateRealizedRatio = new(P + "join_estimate_realized_ratio", MetricType.Gauge, Deployment, "Accuracy those rows turned out to have: its distance to the expected ratio is how far the estimate was off.");

    // Alerts.
    public static readonly MetricFamily AlertFiring = new(P + "alert_firing", MetricType.Gauge, ["rule", .. Model], "1 for each alert rule firing for a model (rule, model labels); absent when it is not.");
    public static readonly MetricFamily AlertRules = new(P + "alert_rules", MetricType.Gauge, None, "Alert rules in force.");
    public static readonly MetricFamily AlertRulesFileErrorsTotal = new(P + "alert_rules_file_errors_total", MetricType.Counter, None, "Times the alert rules file was refused (the last good rules stayed in force).");

    // The server itself, per replica.
    public static readonly MetricFamily EventsTotal = new(P + "events_total", MetricType.Counter, ["outcome"], "Incoming CloudEvents by outcome: accepted (counted, or a logged response kept for the join), duplicate (redelivery, not counted again), rejected (4xx), ignored (acknowledged and dropped: a type the server does not take, or a logged response it cannot use), unavailable (503, storage down or loading), overloaded (503, too many requests at once), aborted (the client went away before its request was read).");
    public static readonly MetricFamily IgnoredEventsTotal = new(P + "ignored_events_total", MetricType.Counter, ["type"], $"Events acknowledged and dropped, by type: types that are neither feedback nor logged responses, and logged responses the server cannot use (the first {MaxLabelValues} types; later ones as \"other\").");
    public static readonly MetricFamily RepliesTotal = new(P + "replies_total", MetricType.Counter, ["result"], "Metric CloudEvents meant for --reply_url by result: sent, failed (a delivery round that failed after retries; the event is offered again later) or dropped (outbox full, never kept).");
    public static readonly MetricFamily DedupeHorizonSeconds = new(P + "dedupe_horizon_seconds", MetricType.Gauge, None, "Age of the oldest remembered event id: a redelivery older than this would be counted again.");
    public static readonly MetricFamily Keys = new(P + "keys", MetricType.Gauge, None, "Models (namespace, deployment, predictor, model) with figures.");
    public static readonly MetricFamily Ready = new(P + "ready", MetricType.Gauge, None, "1 when state is loaded and storage is writable (the server takes events), else 0.");
    public static readonly MetricFamily StoreCommitEvents = new(P + "store_commit_events", MetricType.Histogram, None, "Events decided and committed together as one group (group commit: one journal row with --state sqlite).");
    public static readonly MetricFamily StoreCommitSeconds = new(P + "store_commit_seconds", MetricType.Histogram, None, "Time to decide, commit (fsync included) and apply one group of events.");
    public static readonly MetricFamily ModelSeriesExporter = new(P + "model_series_exporter", MetricType.Gauge, None, "1 on the replica that writes the per-model series (with --state redis://… one replica holds that lease), else 0.");
    public static readonly MetricFamily AuthFailuresTotal = new(P + "auth_failures_total", MetricType.Counter, ["endpoint", "reason"], "Requests refused for their credentials (401, or 503 while the token issuer cannot be read), by endpoint (ingest = POST /, reads = GET /v1/metrics) and reason.");
    public static readonly MetricFamily SenderEventsTotal = new(P + "sender_events_total", MetricType.Counter, ["sender"], $"Events counted, by the verified subject of the token that brought them (the first {MaxLabelValues} subjects; later ones as \"other\").");
    public static readonly MetricFamily RateLimitedTotal = new(P + "rate_limited_total", MetricType.Counter, ["partition"], "Requests to POST / refused with 429 because their source (OIDC subject, else client IP) sent more than --max_events_per_source_per_second.");

    /// <summary>prometheus-net's HTTP histogram (its request counter and in-progress gauge are switched off).</summary>
    public static readonly MetricFamily HttpRequestDurationSeconds = new("http_request_duration_seconds", MetricType.Histogram, ["code", "method", "controller", "action", "endpoint"], "The duration of HTTP requests processed by an ASP.NET Core application.");

    public static IReadOnlyList<MetricFamily> Seldon { get; } = [SeldonTruePositive, SeldonFalsePositive, SeldonFalseNegative, SeldonTrueNegative];

    public static IReadOnlyList<MetricFamily> PerModel { get; } = [ObservationsTotal, CorrectTotal, ConfusionTotal, RelabelledRowsTotal, RelabelledCorrectTotal, RelabelledTotal, Classes, RewardTotal, RewardedEventsTotal];

    public static IReadOnlyList<MetricFamily> PerWindow { get; } =
        [Rows, AccuracyRatio, AccuracyIntervalRatio, PrecisionRatio, RecallRatio, F1Ratio, ClassPrecisionRatio, ClassRecallRatio, ClassF1Ratio, ClassSupport,
         ScoredRows, LogLoss, BrierScore, ExpectedCalibrationError, TopKAccuracyRatio, RocAuc, AveragePrecision, PredictedClassPsi, TrueClassPsi];

    public static IReadOnlyList<MetricFamily> PerSegment { get; } = [SegmentRows, SegmentAccuracyRatio, SegmentGap, SegmentGapApart];

    public static IReadOnlyList<MetricFamily> Join { get; } =
        [JoinPendingResponses, JoinParkedTruths, JoinResponsesTotal, JoinJoinedTotal, JoinCorrectionsTotal, JoinExpiredTotal, JoinLabelCoverageRatio,
         JoinLabelDelaySeconds, JoinEstimatedAccuracyRatio, JoinEstimatedRows, JoinEstimateRealizedRowsTotal, JoinEstimateExpectedRatio, JoinEstimateRealizedRatio];

    public static IReadOnlyList<MetricFamily> Alerts { get; } = [AlertFiring, AlertRules, AlertRulesFileErrorsTotal];

    public static IReadOnlyList<MetricFamily> Server { get; } =
        [EventsTotal, IgnoredEventsTotal, RepliesTotal, DedupeHorizonSeconds, Keys, Ready, StoreCommitEvents, StoreCommitSeconds, ModelSeriesExporter,
         AuthFailuresTotal, SenderEventsTotal, RateLimitedTotal, HttpRequestDurationSeconds];

    /// <summary>Every family, group by group.</summary>
    public static IReadOnlyList<MetricFamily> All { get; } = [.. Seldon, .. PerModel, .. PerWindow, .. PerSegment, .. Join, .. Alerts, .. Server];

    /// <summary>The family of one of Seldon's counters.</summary>
    public static MetricFamily Of(SeldonCounter counter) => counter switch
    {
        SeldonCounter.TruePositive => SeldonTruePositive,
        SeldonCounter.FalsePositive => SeldonFalsePositive,
        SeldonCounter.FalseNegative => SeldonFalseNegative,
        _ => SeldonTrueNegative,
    };

    /// <summary>A Seldon counter: <c>class</c> only on multiclass models' series, and true negatives only on binary models'.</summary>
    private static MetricFamily SeldonFamily(SeldonCounter counter, string help) =>
        new(SeldonCounters.KeyOf(counter) + "_total", MetricType.Counter, [.. counter == SeldonCounter.TrueNegative ? [] : (string[])["class"], .. SeldonLabels], help);
}
