#!/usr/bin/env bash
# Restart time in the steady state: a SQLite state with KEYS models (default 10 000) and EVENTS remembered event
# ids (default 1 000 000, the default --dedupe_max_ids), written by the server itself; then SIGTERM, a restart,
# and the time from process start until /ready answers 200, with the RSS once ready. Runs ROUNDS restarts.
# Usage: bash bench/restart.sh [events=1000000] [keys=10000] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-1000000}"; keys="${2:-10000}"; rounds="${3:-3}"
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
dll=src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
start() { DOTNET_gcServer=0 taskset -c 1 dotnet "$dll" --http_port 5301 --bind_address 127.0.0.1 --state_dir "$work" >"$work/log" 2>&1 & pid=$!; }
ready() { until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5301/ready)" = 200 ]; do sleep 0.02; done; }

start; ready
python3 bench/prefill.py http://127.0.0.1:5301/ "$events" "$keys"
kill -TERM $pid; wait $pid 2>/dev/null || true
ls -l "$work"/feedback-metrics.db | awk '{print "state file:", $5, "bytes"}'
for round in $(seq 1 "$rounds"); do
  t0=$(date +%s%N); start; ready; t1=$(date +%s%N)
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$pid/status)
  echo "restart $round: ready after $(( (t1 - t0) / 1000000 )) ms, RSS ${rss} MB; $(grep -o 'State restored.*' "$work/log" | tail -1)"
  kill -TERM $pid; wait $pid 2>/dev/null || true
done
