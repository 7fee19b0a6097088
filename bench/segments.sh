#!/usr/bin/env bash
# What segments cost per event: two SQLite servers pinned to core 1 (taskset -c 1), as a pod with one CPU runs, wrk on
# core 0 (-t1 -c64): one plain, one with --segment_by region whose events carry one of REGIONS (default 5) region
# values in turn (bench/feedback.lua). Each is first filled with PREFILL distinct events (default 1 100 000, past the
# default --dedupe_max_ids, so ids sit at their cap), warmed WARMUP seconds (default 45), then ROUNDS rounds of
# SECONDS-long runs alternate plain / segmented. Fails when a server counted any event as a duplicate. Prints each
# run, the medians and their ratio, and each server's RSS.
# Usage: bash bench/segments.sh [seconds=10] [rounds=3]      SERVER_DLL=… to measure another build
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
prefill="${PREFILL:-1100000}"
regions="${REGIONS:-5}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
echo "== building (Release)"
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
server_dll="${SERVER_DLL:-src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

declare -A port=([plain]=5211 [segmented]=5212) segments=([plain]=0 [segmented]="$regions")
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port 5211 --bind_address 127.0.0.1 --state sqlite --state_dir "$work/plain" >/dev/null 2>&1 &
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port 5212 --bind_address 127.0.0.1 --state sqlite --state_dir "$work/segmented" --segment_by region >/dev/null 2>&1 &
for p in 5211 5212; do
  for _ in $(seq 1 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/ready")" = 200 ] && break; sleep 0.1; done
done

echo "== steady state: $prefill events into each server"
python3 bench/prefill.py http://127.0.0.1:5211/ "$prefill"
REGIONS="$regions" python3 bench/prefill.py http://127.0.0.1:5212/ "$prefill"

run=0
load() { # name seconds
  run=$((run + 1))
  REGIONS="${segments[$1]}" RUN_ID="$1-$run-$(date +%s%N)" taskset -c 0 wrk -t1 -c64 -d"$2s" --latency -s bench/feedback.lua "http://127.0.0.1:${port[$1]}/" | grep RESULT | sed "s/^RESULT/$1/"
}
echo "== warm-up (discarded, ${WARMUP:-45} s each)"
for name in plain segmented; do load "$name" "${WARMUP:-45}" >/dev/null; done

echo "== $rounds rounds of ${seconds} s, alternating"
declare -A rps
for round in $(seq 1 "$rounds"); do
  for name in plain segmented; do
    line=$(load "$name" "$seconds")
    echo "round $round $line"
    rps[$name]+="$(echo "$line" | sed -E 's/.*rps=([0-9]+).*/\1/') "
  done
done
for name in plain segmented; do
  d=$(curl -s "http://127.0.0.1:${port[$name]}/v1/metrics" | grep '^feedback_metrics_events_total' | grep 'outcome="duplicate"' | awk '{s += $2} END {printf "%d", s}')
  [ "$d" = 0 ] || { echo "FAILED: $name counted $d events as duplicates" >&2; exit 1; }
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
p=$(echo "${rps[plain]}" | median); s=$(echo "${rps[segmented]}" | median)
awk -v p="$p" -v s="$s" -v r="$regions" 'BEGIN {printf "median plain rps=%.0f\nmedian segmented rps=%.0f (%d regions)\nsegmented / plain %.2f; CPU per event +%.1f us\n", p, s, r, s / p, (1e6 / s) - (1e6 / p)}'
for name in plain segmented; do
  echo "$name rss_mb=$(ps -o rss= -p "$(pgrep -f -- "--http_port ${port[$name]}")" | awk '{printf "%d", $1 / 1024}')"
done
