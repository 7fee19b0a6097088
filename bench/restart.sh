#!/usr/bin/env bash
# Restart time in the steady state: a SQLite state with KEYS models (default 10 000), EVENTS remembered event ids
# (default 1 000 000, the default --dedupe_max_ids) and PENDING pending join responses (default 1 000 000, the join
# capped at that), written by the server itself; then a restart, and the time from process start until /ready answers
# 200, with the RSS once ready. Each round restarts after SIGTERM (the last snapshot written on stop: start-up reads
# the snapshot) and after SIGKILL mid-stream (start-up replays the journal after the snapshot too).
# Usage: bash bench/restart.sh [events=1000000] [keys=10000] [pending=1000000] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-1000000}"; keys="${2:-10000}"; pending="${3:-1000000}"; rounds="${4:-3}"
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
dll=src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
start() { DOTNET_gcServer=0 taskset -c 1 dotnet "$dll" --http_port 5301 --bind_address 127.0.0.1 --state_dir "$work" --join_max_entries "$pending" >"$work/log" 2>&1 & pid=$!; }
ready() { until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5301/ready)" = 200 ]; do sleep 0.02; done; }
figure() { curl -s http://127.0.0.1:5301/v1/metrics | awk -v f="$1" '$1 ~ "^"f {s += $2} END {printf "%d", s}'; }

start; ready
python3 bench/prefill.py http://127.0.0.1:5301/ "$events" "$keys"
KIND=response python3 bench/prefill.py http://127.0.0.1:5301/ "$pending"
echo "held: $(figure feedback_metrics_keys) models, $(figure feedback_metrics_join_pending_responses) pending responses"
kill -TERM $pid; wait $pid 2>/dev/null || true
ls -l "$work"/feedback-metrics.db* | awk '{print "state file:", $5, "bytes", $9}'
restart() { # label
  local t0 t1 rss
  t0=$(date +%s%N); start; ready; t1=$(date +%s%N)
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$pid/status)
  echo "$1: ready after $(( (t1 - t0) / 1000000 )) ms, RSS ${rss} MB; $(grep -o 'State restored.*' "$work/log" | tail -1)"
}
for round in $(seq 1 "$rounds"); do
  restart "restart $round after SIGTERM"
  # SIGKILL with the journal holding what came since the last snapshot.
  python3 bench/prefill.py http://127.0.0.1:5301/ 20000 "$keys" >/dev/null
  kill -KILL $pid; wait $pid 2>/dev/null || true
  restart "restart $round after SIGKILL"
  echo "   models $(figure feedback_metrics_keys), pending $(figure feedback_metrics_join_pending_responses)"
  kill -TERM $pid; wait $pid 2>/dev/null || true
done
