#!/usr/bin/env bash
# Renders the ready-to-apply manifests in deploy/ from the Helm chart, the one source of truth (docs/deploy.md says
# how to apply them, in order):
#   deploy/broker/                      a Broker "default" with no delivery settings, for a namespace that has none
#                                       (create it, never apply it over an existing one)
#   deploy/k8s/                         StatefulSet + PVC, Service, three Triggers (feedback, Seldon and KServe
#                                       responses) with a dead-letter sink they name, NetworkPolicy, Grafana dashboard
#   deploy/k8s/prometheus-operator/     ServiceMonitor, PrometheusRule: only with the Prometheus Operator's CRDs
#   deploy/knative/                     Knative Service, the same three Triggers and dead-letter sink
#   deploy/prometheus/                  the recording rules and alerts as a plain Prometheus rule file
# Usage: bash scripts/render-deploy.sh [output-dir=deploy]   (tests render to a temp dir and compare)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-deploy}"
helm="${HELM:-.tools/bin/helm}"
[ -x "$helm" ] || { echo "helm not found at $helm: run bash scripts/install-test-deps.sh" >&2; exit 1; }
chart=charts/feedback-metrics
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
header="# Rendered from charts/feedback-metrics by scripts/render-deploy.sh; edit the chart, not this file."

render() { # dir values...
  local dir="$1"; shift
  "$helm" template feedback-metrics "$chart" --namespace seldon "$@" --output-dir "$tmp/$dir" >/dev/null
  rm -rf "${out:?}/$dir"
  mkdir -p "$out/$dir"
  for f in "$tmp/$dir"/feedback-metrics/templates/*.yaml; do
    { echo "$header"; grep -v '^# Source:' "$f"; } > "$out/$dir/$(basename "$f")"
  done
}

# Besides the defaults: metric events go back to the broker, and every Trigger has a dead-letter sink that exists.
common=(--set args.reply_url=http://broker-ingress.knative-eventing.svc.cluster.local/seldon/default --set knative.deadLetterSink.create=true)

render k8s "${common[@]}" \
  --set prometheusRule.enabled=true --set serviceMonitor.enabled=true --set dashboard.enabled=true --set networkPolicy.enabled=true
# The Prometheus Operator's kinds fail to apply without its CRDs: a folder of their own, applied only when wanted.
mkdir -p "$out/k8s/prometheus-operator"
mv "$out/k8s/servicemonitor.yaml" "$out/k8s/prometheusrule.yaml" "$out/k8s/prometheus-operator/"

render knative "${common[@]}" --set mode=knative

render broker --set knative.createBroker=true
find "$out/broker" -type f ! -name broker.yaml -delete

mkdir -p "$out/prometheus"
"$helm" template feedback-metrics "$chart" --namespace seldon --set prometheusRule.enabled=true --show-only templates/prometheusrule.yaml \
  | { echo "$header"; sed -n '/^spec:/,$p' | tail -n +2 | sed 's/^  //'; } \
  > "$out/prometheus/feedback-metrics.rules.yaml"
