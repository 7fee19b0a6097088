#!/usr/bin/env bash
# What a Prometheus scrape costs the server: 1 000 models of 3 classes (KEYS), default windows, the server pinned to
# core 1 as a one-CPU pod runs, scrapes from core 0. Prints the server CPU per scrape (utime + stime of the process,
# from /proc, over SCRAPES scrapes) for the first scrape after the models changed and for scrapes of unchanged models,
# the bytes per scrape and per model (as Prometheus asks, gzip, and as plain text), and the same for the JSON view.
# SCORES=random gives every event a vector and truth of its own (bench/prefill.py), so ROC AUC and average precision
# are ranked from many bins rather than one. REGIONS=N starts the server with --segment_by region and gives every
# model's events N region values in turn (bench/prefill.py).
# Usage: [SCORES=random] [REGIONS=N] bash bench/scrape.sh [KEYS=1000] [SCRAPES=200]      SERVER_DLL=… to measure another build
set -euo pipefail
cd "$(dirname "$0")/.."
keys="${1:-1000}"
scrapes="${2:-200}"
echo "== building (Release)"
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
server_dll="${SERVER_DLL:-src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port=5299
segments=()
if [ -n "${REGIONS:-}" ]; then segments=(--segment_by region); fi
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port $port --bind_address 127.0.0.1 --state sqlite --state_dir "$work/state" "${segments[@]}" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")" = 200 ] && break; sleep 0.1; done
python3 bench/prefill.py "http://127.0.0.1:$port/" $((keys * 30)) "$keys"

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
measure() { # label url count [curl options]
  local before after bytes
  bytes=$(taskset -c 0 curl -s ${4:-} "$2" | wc -c)
  before=$(ticks)
  for _ in $(seq 1 "$3"); do taskset -c 0 curl -s ${4:-} -o /dev/null "$2"; done
  after=$(ticks)
  awk -v l="$1" -v t=$((after - before)) -v n="$3" -v hz="$hz" -v b="$bytes" -v k="$keys" \
    'BEGIN {printf "%-34s cpu_ms_per_scrape=%.1f bytes=%d bytes_per_model=%d\n", l, t * 1000 / hz / n, b, b / k}'
}

# Warm-up: the JIT compiles the scrape path (tiered compilation), discarded.
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/v1/metrics"; curl -s -o /dev/null "http://127.0.0.1:$port/v1/metrics?format=json"; done

echo "== $keys models, $(curl -s "http://127.0.0.1:$port/v1/metrics" | grep -c '^feedback_metrics_\|^seldon_') series"
measure "prometheus gzip, unchanged models" "http://127.0.0.1:$port/v1/metrics" "$scrapes" "-H Accept-Encoding:gzip"
measure "prometheus text, unchanged models" "http://127.0.0.1:$port/v1/metrics" "$scrapes"
measure "json, unchanged models" "http://127.0.0.1:$port/v1/metrics?format=json" "$((scrapes / 4))"

# Every model changed between scrapes: one new event each, then one scrape, once the snapshot the events started
# (every 2 s) has been written, so its CPU is not counted as the scrape's.
changed_cpu=0
for round in $(seq 1 10); do
  KIND= python3 bench/prefill.py "http://127.0.0.1:$port/" "$keys" "$keys" >/dev/null
  sleep 3
  before=$(ticks); curl -s -H Accept-Encoding:gzip -o /dev/null "http://127.0.0.1:$port/v1/metrics"; after=$(ticks)
  changed_cpu=$((changed_cpu + after - before))
done
awk -v t="$changed_cpu" -v hz="$hz" 'BEGIN {printf "%-34s cpu_ms_per_scrape=%.1f\n", "prometheus gzip, every model changed", t * 1000 / hz / 10}'
echo "rss_mb=$(ps -o rss= -p $pid | awk '{printf "%d", $1 / 1024}')"
