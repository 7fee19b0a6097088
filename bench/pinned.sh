#!/usr/bin/env bash
# Pinned A/B benchmark in the steady state, as a pod with one CPU runs: every server on core 1 (taskset -c 1),
# wrk on core 0 (-t1 -c64). In one run: a bare Kestrel endpoint that reads the body and answers 202 (the ceiling),
# our server with --state memory, with --state sqlite, and with --state sqlite --windows "" (no windows: what the
# default windows cost), each first filled with PREFILL distinct events (default
# 1 100 000, past the default --dedupe_max_ids of one million) so remembered ids sit at their cap and forgetting is
# active. Then ROUNDS rounds of SECONDS-long single-event runs, alternating ceiling / memory / sqlite / sqlite_nowin,
# each printed;
# then the median ratio to the ceiling, the SQLite server paced at half the ceiling's median rate (p99), and
# 1 000-row events on SQLite (rows/s), and the late-truth join on SQLite: logged response events (req/s, against the
# ceiling's median) with a million pending responses held already (the join's cap, so each new one evicts the
# oldest), then truth-only feedback for them (truths joined per second).
# Usage: bash bench/pinned.sh [seconds=10] [rounds=3]      SERVER_DLL=… to measure another build (e.g. an older commit)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
prefill="${PREFILL:-1100000}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

echo "== building (Release)"
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
dotnet build bench/Ceiling -c Release -nologo -v quiet >/dev/null
server_dll="${SERVER_DLL:-src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll}"
ceiling_dll=bench/Ceiling/bin/Release/net10.0/Ceiling.dll
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_up() { # port path expected-status
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2")" = "$3" ] && return 0
    sleep 0.1
  done
  echo "server on $1 did not come up" >&2; exit 1
}

declare -A port=([ceiling]=5201 [memory]=5202 [sqlite]=5203 [sqlite_nowin]=5204)
servers="ceiling memory sqlite sqlite_nowin"
DOTNET_gcServer=0 taskset -c 1 dotnet "$ceiling_dll" --urls http://127.0.0.1:5201 >/dev/null 2>&1 &
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port 5202 --bind_address 127.0.0.1 --state memory >/dev/null 2>&1 &
# --join_max_entries of a million, filled with pending responses before the late-truth run (JOIN_PREFILL), so each new
# response evicts the oldest as on a busy server; a run stores fewer than that, so its truths find their responses.
join_cap="${JOIN_PREFILL:-1000000}"
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port 5203 --bind_address 127.0.0.1 --state sqlite --state_dir "$work/state" --join_max_entries "$join_cap" >"$work/sqlite.log" 2>&1 &
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port 5204 --bind_address 127.0.0.1 --state sqlite --state_dir "$work/state-nowin" --windows "" >/dev/null 2>&1 &
wait_up 5201 /nonexistent 404; wait_up 5202 /ready 200; wait_up 5203 /ready 200; wait_up 5204 /ready 200

echo "== steady state: $prefill events into each server (batch mode)"
python3 bench/prefill.py http://127.0.0.1:5202/ "$prefill"
python3 bench/prefill.py http://127.0.0.1:5203/ "$prefill"
python3 bench/prefill.py http://127.0.0.1:5204/ "$prefill"
ls -l "$work/state" | awk 'NR > 1 {print "   ", $5, $9}'

load() { # name seconds [extra env]
  taskset -c 0 wrk -t1 -c64 -d"$2s" --latency -s bench/feedback.lua "http://127.0.0.1:${port[$1]}/" | grep RESULT | sed "s/^RESULT/$1/"
}

# Warm-up, discarded: on one core, tiered compilation with dynamic PGO takes about 40 s of load before the
# server's code is fully optimised (measured: 4 700 -> 26 000 req/s over the first 50 s in memory mode).
echo "== warm-up (discarded, ${WARMUP:-45} s each)"
for name in $servers; do load "$name" "${WARMUP:-45}" >/dev/null; done

echo "== $rounds rounds of ${seconds} s, alternating"
declare -A rps
for round in $(seq 1 "$rounds"); do
  for name in $servers; do
    line=$(load "$name" "$seconds")
    echo "round $round $line"
    rps[$name]+="$(echo "$line" | sed -E 's/.*rps=([0-9]+).*/\1/') "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ceiling_median=$(echo "${rps[ceiling]}" | median)
for name in $servers; do
  m=$(echo "${rps[$name]}" | median)
  awk -v n="$name" -v m="$m" -v c="$ceiling_median" 'BEGIN {printf "median %-12s rps=%.0f ratio=%.2f\n", n, m, m / c}'
done

half=$((${ceiling_median%.*} / 2)); conns=$((half / 100)); [ "$conns" -lt 1 ] && conns=1
echo "== sqlite paced at half the ceiling's median rate: $half req/s ($conns connections, 10 ms apart)"
DELAY_MS=10 taskset -c 0 wrk -t1 -c"$conns" -d"${seconds}s" --latency -s bench/feedback.lua "http://127.0.0.1:5203/" | grep RESULT | sed "s/^RESULT/sqlite paced target_rps=$half/"
echo "== sqlite, 1 000-row events (bench/batch.lua), 8 connections"
taskset -c 0 wrk -t1 -c8 -d"${seconds}s" --latency -s bench/batch.lua "http://127.0.0.1:5203/" | grep RESULT | sed "s/^RESULT/sqlite batched/"
joined() { curl -s http://127.0.0.1:5203/v1/metrics | grep -E '^feedback_metrics_join_joined_total' | awk '{s += $2} END {printf "%d", s}'; }
pending() { curl -s http://127.0.0.1:5203/v1/metrics | grep -E '^feedback_metrics_join_pending_responses' | awk '{s += $2} END {printf "%d", s}'; }
rss_mb() { ps -o rss= -p "$(pgrep -f -- '--http_port 5203')" | awk '{printf "%d", $1 / 1024}'; }
echo "== sqlite, late truth (bench/join.lua): Seldon response events, then truth-only feedback for the same request ids"
echo "sqlite pending_responses=$(pending) rss_mb=$(rss_mb)"
KIND=response python3 bench/prefill.py http://127.0.0.1:5203/ "$join_cap"
echo "sqlite pending_responses=$(pending) rss_mb=$(rss_mb) (at --join_max_entries: each new response evicts the oldest)"
run_id="join-$(date +%s)"
KIND=response RUN_ID=$run_id taskset -c 0 wrk -t1 -c64 -d"${seconds}s" --latency -s bench/join.lua "http://127.0.0.1:5203/" | grep RESULT | sed "s/^RESULT/sqlite responses/"
echo "sqlite pending_responses=$(pending) rss_mb=$(rss_mb)"
before=$(joined)
KIND=truth RUN_ID=$run_id taskset -c 0 wrk -t1 -c64 -d"${seconds}s" --latency -s bench/join.lua "http://127.0.0.1:5203/" | grep RESULT | sed "s/^RESULT/sqlite truths/"
echo "sqlite joined truths_per_s=$(( ($(joined) - before) / seconds ))"
curl -s http://127.0.0.1:5203/v1/metrics | grep -E '^feedback_metrics_dedupe_horizon_seconds' || true
ls -l "$work/state" | awk 'NR > 1 {print "   ", $5, $9}'
