#!/usr/bin/env bash
# Renders the ready-to-apply manifests in deploy/ from the Helm chart, the one source of truth:
#   deploy/k8s/        StatefulSet + PVC, Service, ServiceMonitor, PrometheusRule, Grafana dashboard, Trigger,
#                      NetworkPolicy (ingress only from knative-eventing and monitoring)
#   deploy/knative/    Broker, Knative Service, Trigger (with retries, backoff and a dead-letter sink)
#   deploy/prometheus/ the recording rules and alerts as a plain Prometheus rule file
# Usage: bash scripts/render-deploy.sh [output-dir=deploy]   (tests render to a temp dir and compare)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-deploy}"
helm="${HELM:-.tools/bin/helm}"
[ -x "$helm" ] || { echo "helm not found at $helm: run bash scripts/install-test-deps.sh" >&2; exit 1; }
chart=charts/feedback-metrics
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

render() { # dir values...
  local dir="$1"; shift
  "$helm" template feedback-metrics "$chart" --namespace seldon "$@" --output-dir "$tmp/$dir" >/dev/null
  mkdir -p "$out/$dir"
  rm -f "$out/$dir"/*.yaml
  for f in "$tmp/$dir"/feedback-metrics/templates/*.yaml; do
    { echo "# Rendered from charts/feedback-metrics by scripts/render-deploy.sh; edit the chart, not this file."; grep -v '^# Source:' "$f"; } > "$out/$dir/$(basename "$f")"
  done
}

render k8s \
  --set prometheusRule.enabled=true --set serviceMonitor.enabled=true --set dashboard.enabled=true --set networkPolicy.enabled=true \
  --set args.reply_url=http://broker-ingress.knative-eventing.svc.cluster.local/seldon/default \
  --set seldon.deploymentId=multiclass-model --set seldon.predictorId=default --set seldon.predictiveUnitId=classifier

render knative \
  --set mode=knative --set knative.createBroker=true \
  --set args.reply_url=http://broker-ingress.knative-eventing.svc.cluster.local/seldon/default \
  --set seldon.deploymentId=multiclass-model --set seldon.predictorId=default --set seldon.predictiveUnitId=classifier \
  --set knative.triggers[0].name=feedback --set knative.triggers[0].filter.type=io.seldon.serving.feedback \
  --set knative.triggers[0].filter.inferenceservicename=multiclass-model \
  --set knative.delivery.deadLetterSinkUri=http://feedback-dead-letters.seldon.svc.cluster.local

mkdir -p "$out/prometheus"
"$helm" template feedback-metrics "$chart" --namespace seldon --set prometheusRule.enabled=true --show-only templates/prometheusrule.yaml \
  | { echo "# Rendered from charts/feedback-metrics by scripts/render-deploy.sh; edit the chart, not this file."; sed -n '/^spec:/,$p' | tail -n +2 | sed 's/^  //'; } \
  > "$out/prometheus/feedback-metrics.rules.yaml"
