{{/*
Recording rules and alerts. Every ratio is computed from counters summed across pods, so it stays right
with several replicas; the cumulative ratios equal the server's own JSON figures.
*/}}
{{- define "feedback-metrics.rules" -}}
{{- $key := "deployment_namespace, deployment_name, predictor_name, model_name" -}}
{{- $seldonKey := "seldon_deployment_namespace, deployment_name, predictor_name, model_name" -}}
groups:
  - name: feedback-metrics.recording
    rules:
      - record: feedback_metrics:accuracy:ratio
        expr: (sum by ({{ $key }}) (feedback_metrics_correct_total) - (sum by ({{ $key }}) (feedback_metrics_relabelled_correct_total) or sum by ({{ $key }}) (feedback_metrics_correct_total) * 0)) / ((sum by ({{ $key }}) (feedback_metrics_observations_total) - (sum by ({{ $key }}) (feedback_metrics_relabelled_rows_total) or sum by ({{ $key }}) (feedback_metrics_observations_total) * 0)) > 0)
      - record: feedback_metrics:accuracy_1h:ratio
        expr: sum by ({{ $key }}) (increase(feedback_metrics_correct_total[1h])) / (sum by ({{ $key }}) (increase(feedback_metrics_observations_total[1h])) > 0)
      - record: feedback_metrics:observations:rate5m
        expr: sum by ({{ $key }}) (rate(feedback_metrics_observations_total[5m]))
      - record: feedback_metrics:class_precision:ratio
        expr: sum by ({{ $seldonKey }}, class) (seldon_metric_true_positive_total) / ((sum by ({{ $seldonKey }}, class) (seldon_metric_true_positive_total) + sum by ({{ $seldonKey }}, class) (seldon_metric_false_positive_total)) > 0)
      - record: feedback_metrics:class_recall:ratio
        expr: sum by ({{ $seldonKey }}, class) (seldon_metric_true_positive_total) / ((sum by ({{ $seldonKey }}, class) (seldon_metric_true_positive_total) + sum by ({{ $seldonKey }}, class) (seldon_metric_false_negative_total)) > 0)
      - record: feedback_metrics:events:rate5m
        expr: sum by (outcome) (rate(feedback_metrics_events_total[5m]))
  - name: feedback-metrics.alerts
    rules:
      - alert: FeedbackAccuracyDrop
        expr: feedback_metrics:accuracy_1h:ratio < {{ .Values.prometheusRule.accuracyThreshold }} and on ({{ $key }}) sum by ({{ $key }}) (increase(feedback_metrics_observations_total[1h])) >= {{ .Values.prometheusRule.accuracyMinRows }}
        for: 15m
        labels:
          severity: warning
        annotations:
          summary: "Accuracy of {{ "{{" }} $labels.deployment_name {{ "}}" }}/{{ "{{" }} $labels.model_name {{ "}}" }} fell to {{ "{{" }} $value | humanizePercentage {{ "}}" }} over the last hour"
          description: "Accuracy over the last hour is below {{ .Values.prometheusRule.accuracyThreshold }} for model {{ "{{" }} $labels.model_name {{ "}}" }} of {{ "{{" }} $labels.deployment_namespace {{ "}}" }}/{{ "{{" }} $labels.deployment_name {{ "}}" }} (predictor {{ "{{" }} $labels.predictor_name {{ "}}" }})."
      - alert: FeedbackMissing
        expr: sum by ({{ $key }}) (increase(feedback_metrics_observations_total[{{ .Values.prometheusRule.noFeedbackFor }}])) == 0
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: "No feedback for {{ "{{" }} $labels.deployment_name {{ "}}" }}/{{ "{{" }} $labels.model_name {{ "}}" }} for {{ .Values.prometheusRule.noFeedbackFor }}"
          description: "The model had feedback before but none was counted in the last {{ .Values.prometheusRule.noFeedbackFor }}: check the feedback sender, the broker and the trigger."
      - alert: FeedbackReplyFailures
        expr: sum by (namespace, pod) (increase(feedback_metrics_replies_total{result=~"failed|dropped"}[10m])) > 0
        labels:
          severity: warning
        annotations:
          summary: "Metric events could not be delivered to the reply URL"
          description: "{{ "{{" }} $value {{ "}}" }} metric events failed after retries or were dropped in the last 10 minutes; check --reply_url and the broker."
      - alert: FeedbackDedupeHorizonShort
        expr: min by (namespace, pod) (feedback_metrics_dedupe_horizon_seconds) < {{ .Values.prometheusRule.dedupeHorizonSeconds }}
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "Redeliveries older than {{ "{{" }} $value | humanizeDuration {{ "}}" }} would be counted twice"
          description: "The oldest remembered event id is younger than the broker's retry horizon ({{ .Values.prometheusRule.dedupeHorizonSeconds }} s): at this event rate --dedupe_max_ids forgets ids before the broker stops redelivering. Raise --dedupe_max_ids (about 35 bytes of disk and 75 of memory per id)."
      - alert: FeedbackStorageNotReady
        expr: max by (namespace, pod) (feedback_metrics_ready) == 0
        for: {{ .Values.prometheusRule.notReadyFor }}
        labels:
          severity: critical
        annotations:
          summary: "The feedback metrics server cannot store events"
          description: "The server answers 503 to feedback: its state is loading or its storage is full, read-only or locked. Check its log and volume."
{{- end }}
