{{- define "feedback-metrics.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "feedback-metrics.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "feedback-metrics.selectorLabels" -}}
app.kubernetes.io/name: {{ include "feedback-metrics.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "feedback-metrics.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "feedback-metrics.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "feedback-metrics.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The container, shared by the StatefulSet and the Knative Service. */}}
{{- define "feedback-metrics.container" -}}
name: server
image: {{ include "feedback-metrics.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
args:
{{- $managed := list "http_port" "state" "state_dir" }}
{{- if .Values.oidc.audience }}
{{- $managed = concat $managed (list "oidc_audience" "oidc_issuer" "oidc_subjects" "oidc_ca_file" "oidc_discovery_token_file") }}
{{- end }}
{{- if .Values.readToken.existingSecret }}
{{- $managed = concat $managed (list "protect_reads" "read_token_file") }}
{{- end }}
{{- if .Values.adminToken.existingSecret }}
{{- $managed = append $managed "admin_token_file" }}
{{- end }}
{{- if and .Values.state.redis.url .Values.state.redis.caSecret }}
{{- $managed = append $managed "redis_ca_file" }}
{{- end }}
{{- if or .Values.alerts.rules .Values.alerts.classNames }}
{{- $managed = append $managed "alert_rules" }}
{{- end }}
{{- range $name, $value := .Values.args }}
{{- if and (ne (toString $value) "") (not (has $name $managed)) }}
  - --{{ $name }}
  - {{ $value | toString | quote }}
{{- end }}
{{- end }}
  - --http_port
  - {{ .Values.port | quote }}
  - --state
{{- if .Values.state.redis.url }}
  - {{ .Values.state.redis.url | quote }}
{{- else }}
  - sqlite
{{- end }}
  - --state_dir
  - /var/lib/feedback-metrics
{{- if and .Values.state.redis.url .Values.state.redis.caSecret }}
  - --redis_ca_file
  - /etc/feedback-metrics/redis-ca/ca.crt
{{- end }}
{{- if .Values.adminToken.existingSecret }}
  - --admin_token_file
  - /etc/feedback-metrics/admin/token
{{- end }}
{{- with .Values.oidc.audience }}
  - --oidc_audience
  - {{ . | quote }}
  - --oidc_issuer
  - {{ $.Values.oidc.issuer | quote }}
{{- with $.Values.oidc.subjects }}
  - --oidc_subjects
  - {{ join "," . | quote }}
{{- end }}
{{- if $.Values.oidc.useServiceAccount }}
  - --oidc_ca_file
  - /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
  - --oidc_discovery_token_file
  - /var/run/secrets/kubernetes.io/serviceaccount/token
{{- end }}
{{- end }}
{{- if or .Values.alerts.rules .Values.alerts.classNames }}
  - --alert_rules
  - /etc/feedback-metrics/alerts/rules.yaml
{{- end }}
{{- if .Values.readToken.existingSecret }}
  - --protect_reads
  - token
  - --read_token_file
  - /etc/feedback-metrics/read/token
{{- end }}
  - MetricsServer
env:
  - name: SELDON_DEPLOYMENT_NAMESPACE
    value: {{ .Values.seldon.namespace | default .Release.Namespace | quote }}
{{- with .Values.seldon.deploymentId }}
  - name: SELDON_DEPLOYMENT_ID
    value: {{ . | quote }}
{{- end }}
{{- with .Values.seldon.predictorId }}
  - name: PREDICTOR_ID
    value: {{ . | quote }}
{{- end }}
{{- with .Values.seldon.predictiveUnitId }}
  - name: PREDICTIVE_UNIT_ID
    value: {{ . | quote }}
{{- end }}
{{- if and .Values.state.redis.url .Values.state.redis.existingSecret }}
  - name: FeedbackMetrics__State__RedisPassword
    valueFrom:
      secretKeyRef:
        name: {{ .Values.state.redis.existingSecret }}
        key: {{ .Values.state.redis.passwordKey }}
{{- end }}
{{- with .Values.extraEnv }}
{{- toYaml . | nindent 2 }}
{{- end }}
ports:
  {{- /* Knative accepts only "http1" or "h2c" as the name of its single port. */}}
  - name: {{ eq .Values.mode "knative" | ternary "http1" "http" }}
    containerPort: {{ .Values.port }}
    protocol: TCP
readinessProbe:
  httpGet:
    path: /ready
    port: {{ .Values.port }}
  periodSeconds: 5
  failureThreshold: 2
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .Values.port }}
  periodSeconds: 10
  failureThreshold: 3
resources:
  {{- toYaml .Values.resources | nindent 2 }}
securityContext:
  {{- include "feedback-metrics.containerSecurityContext" . | nindent 2 }}
volumeMounts:
  - name: state
    mountPath: /var/lib/feedback-metrics
  - name: tmp
    mountPath: /tmp
{{- if .Values.adminToken.existingSecret }}
  - name: admin-token
    mountPath: /etc/feedback-metrics/admin
    readOnly: true
{{- end }}
{{- if .Values.readToken.existingSecret }}
  - name: read-token
    mountPath: /etc/feedback-metrics/read
    readOnly: true
{{- end }}
{{- if and .Values.state.redis.url .Values.state.redis.caSecret }}
  - name: redis-ca
    mountPath: /etc/feedback-metrics/redis-ca
    readOnly: true
{{- end }}
{{- if or .Values.alerts.rules .Values.alerts.classNames }}
  - name: alert-rules
    mountPath: /etc/feedback-metrics/alerts
    readOnly: true
{{- end }}
{{- end }}

{{- define "feedback-metrics.extraVolumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.adminToken.existingSecret }}
- name: admin-token
  secret:
    secretName: {{ .Values.adminToken.existingSecret }}
    items:
      - key: token
        path: token
{{- end }}
{{- if .Values.readToken.existingSecret }}
- name: read-token
  secret:
    secretName: {{ .Values.readToken.existingSecret }}
    items:
      - key: token
        path: token
{{- end }}
{{- if and .Values.state.redis.url .Values.state.redis.caSecret }}
- name: redis-ca
  secret:
    secretName: {{ .Values.state.redis.caSecret }}
    items:
      - key: {{ .Values.state.redis.caKey }}
        path: ca.crt
{{- end }}
{{- if or .Values.alerts.rules .Values.alerts.classNames }}
- name: alert-rules
  configMap:
    name: {{ include "feedback-metrics.fullname" . }}-alert-rules
{{- end }}
{{- end }}

{{- define "feedback-metrics.delivery" -}}
{{- $sink := .Values.knative.deadLetterSink -}}
{{- if and $sink.create .Values.knative.delivery.deadLetterSinkUri -}}
{{- fail "knative.deadLetterSink.create and knative.delivery.deadLetterSinkUri both name a dead-letter sink: keep one" -}}
{{- end -}}
retry: {{ .Values.knative.delivery.retry }}
backoffPolicy: {{ .Values.knative.delivery.backoffPolicy }}
backoffDelay: {{ .Values.knative.delivery.backoffDelay }}
{{- if $sink.create }}
deadLetterSink:
  ref:
    apiVersion: v1
    kind: Service
    name: {{ include "feedback-metrics.deadLetterName" . }}
{{- else if .Values.knative.delivery.deadLetterSinkUri }}
deadLetterSink:
  uri: {{ .Values.knative.delivery.deadLetterSinkUri }}
{{- end }}
{{- end }}

{{- define "feedback-metrics.deadLetterName" -}}
{{- printf "%s-dead-letters" (include "feedback-metrics.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The dead-letter sink's own labels: another app name, so the server's Service and NetworkPolicy never select its pods. */}}
{{- define "feedback-metrics.deadLetterSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-dead-letters" (include "feedback-metrics.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The container's security context. Knative Serving rejects a pod-level securityContext unless the operator
enables its kubernetes.podspec-securitycontext feature, so in knative mode the pod-level user, group,
non-root and seccomp settings move onto the container, where Knative accepts them.
*/}}
{{- define "feedback-metrics.containerSecurityContext" -}}
{{- $context := deepCopy .Values.securityContext -}}
{{- if eq .Values.mode "knative" -}}
{{- range $field := list "runAsNonRoot" "runAsUser" "runAsGroup" "seccompProfile" -}}
{{- if hasKey $.Values.podSecurityContext $field -}}
{{- $_ := set $context $field (get $.Values.podSecurityContext $field) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $context -}}
{{- end }}

{{/* True when the server writes Kubernetes Events for alerts (args.kubernetes_events): it then runs as its own service account with RBAC. */}}
{{- define "feedback-metrics.kubernetesEvents" -}}
{{- if eq (toString (index .Values.args "kubernetes_events" | default "false")) "true" }}true{{- end }}
{{- end }}
