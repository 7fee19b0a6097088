#!/usr/bin/env bash
# Pinned A/B benchmark in the steady state, as a pod with one CPU runs: every server on core 1 (taskset -c 1),
# wrk on core 0 (-t1 -c64). In one run: a bare Kestrel endpoint that reads the body and answers 202 (the ceiling),
# our server with --state memory and with --state sqlite, each first filled with PREFILL distinct events (default
# 1 100 000, past the default --dedupe_max_ids of one million) so remembered ids sit at their cap and forgetting is
# active. After a WARMUP (45 s) of discarded load each, ROUNDS rounds of SECONDS-long single-event runs alternate
# ceiling / memory / sqlite; then SQLite paced at half the ceiling's median rate (p99), 1 000-row events on SQLite
# (rows/s), and the late-truth join on SQLite at its cap (a million pending responses, so each new one evicts the
# oldest): logged responses (req/s, against the ceiling's median), then truth-only feedback for them.
# Every wrk process sends ids of its own (RUN_ID); the run fails if a server counted any event as a duplicate: a rate
# of duplicates is not a rate of events. Prints each figure, then the targets of issue 23 against the medians.
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

declare -A port=([ceiling]=5201 [memory]=5202 [sqlite]=5203)
servers="ceiling memory sqlite"
join_cap="${JOIN_PREFILL:-1000000}"
DOTNET_gcServer=0 taskset -c 1 dotnet "$ceiling_dll" --urls http://127.0.0.1:5201 >/dev/null 2>&1 &
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port 5202 --bind_address 127.0.0.1 --state memory >/dev/null 2>&1 &
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port 5203 --bind_address 127.0.0.1 --state sqlite --state_dir "$work/state" --join_max_entries "$join_cap" >"$work/sqlite.log" 2>&1 &
wait_up 5201 /nonexistent 404; wait_up 5202 /ready 200; wait_up 5203 /ready 200

figure() { # port family-prefix [label-filter]
  curl -s "http://127.0.0.1:$1/v1/metrics" | grep -E "^$2" | grep -E "${3:-.}" | awk '{s += $2} END {printf "%d", s}'
}
no_duplicates() { # name
  local d
  d=$(figure "${port[$1]}" 'feedback_metrics_events_total' 'outcome="duplicate"')
  [ "$d" = 0 ] || { echo "FAILED: $1 counted $d events as duplicates: the load repeated ids, its rate is not a rate of events" >&2; exit 1; }
}

echo "== steady state: $prefill events into each server (batch mode)"
python3 bench/prefill.py http://127.0.0.1:5202/ "$prefill"
python3 bench/prefill.py http://127.0.0.1:5203/ "$prefill"

run=0
load() { # name seconds [script]
  run=$((run + 1))
  RUN_ID="$1-$run-$(date +%s%N)" taskset -c 0 wrk -t1 -c64 -d"$2s" --latency -s "${3:-bench/feedback.lua}" "http://127.0.0.1:${port[$1]}/" | grep RESULT | sed "s/^RESULT/$1/"
}

# Warm-up, discarded: on one core, tiered compilation with dynamic PGO takes about 40 s of load before the
# server's code is fully optimised.
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
no_duplicates memory; no_duplicates sqlite

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
declare -A med
for name in $servers; do
  med[$name]=$(echo "${rps[$name]}" | median)
  awk -v n="$name" -v m="${med[$name]}" -v c="${med[ceiling]}" 'BEGIN {printf "median %-8s rps=%.0f ratio=%.2f\n", n, m, m / c}'
done

half=$((${med[ceiling]%.*} / 2)); conns=$((half / 100)); [ "$conns" -lt 1 ] && conns=1
echo "== sqlite paced at half the ceiling's median rate: $half req/s ($conns connections, 10 ms apart)"
paced=$(DELAY_MS=10 RUN_ID="paced-$(date +%s%N)" taskset -c 0 wrk -t1 -c"$conns" -d"${seconds}s" --latency -s bench/feedback.lua "http://127.0.0.1:5203/" | grep RESULT)
echo "sqlite paced target_rps=$half ${paced#RESULT }"
echo "== sqlite, 1 000-row events (bench/batch.lua), 8 connections"
batched=$(RUN_ID="batch-$(date +%s%N)" taskset -c 0 wrk -t1 -c8 -d"${seconds}s" --latency -s bench/batch.lua "http://127.0.0.1:5203/" | grep RESULT)
echo "sqlite batched ${batched#RESULT }"
no_duplicates sqlite

rss_mb() { ps -o rss= -p "$(pgrep -f -- '--http_port 5203')" | awk '{printf "%d", $1 / 1024}'; }
echo "== sqlite, late truth (bench/join.lua): Seldon response events at the join's cap, then truth-only feedback for them"
KIND=response python3 bench/prefill.py http://127.0.0.1:5203/ "$join_cap"
echo "sqlite pending_responses=$(figure 5203 feedback_metrics_join_pending_responses) rss_mb=$(rss_mb) (at --join_max_entries: each new response evicts the oldest)"
KIND=response RUN_ID="join-warm-$(date +%s%N)" taskset -c 0 wrk -t1 -c64 -d"${WARMUP:-45}s" -s bench/join.lua "http://127.0.0.1:5203/" >/dev/null
run_id="join-$(date +%s%N)"
responses=$(KIND=response RUN_ID=$run_id taskset -c 0 wrk -t1 -c64 -d"${seconds}s" --latency -s bench/join.lua "http://127.0.0.1:5203/" | grep RESULT)
echo "sqlite responses ${responses#RESULT } rss_mb=$(rss_mb)"
before=$(figure 5203 feedback_metrics_join_joined_total)
KIND=truth RUN_ID=$run_id taskset -c 0 wrk -t1 -c64 -d"${seconds}s" --latency -s bench/join.lua "http://127.0.0.1:5203/" | grep RESULT | sed "s/^RESULT/sqlite truths/"
echo "sqlite joined truths_per_s=$(( ($(figure 5203 feedback_metrics_join_joined_total) - before) / seconds ))"
no_duplicates sqlite
ls -l "$work/state" | awk 'NR > 1 {print "   ", $5, $9}'

echo "== targets (issue 23)"
value() { echo "$1" | sed -E "s/.*$2=([0-9.]+).*/\1/"; }
awk -v c="${med[ceiling]}" -v m="${med[memory]}" -v s="${med[sqlite]}" -v r="$(value "$responses" rps)" \
    -v p99="$(value "$paced" p99_ms)" -v rows="$(value "$batched" rows_per_s)" 'BEGIN {
  t("memory / bare", m / c, ">=", 0.70); t("sqlite / memory", s / m, ">=", 0.85); t("sqlite / bare", s / c, ">=", 0.60)
  t("responses at the cap / bare", r / c, ">=", 0.55); t("p99 ms at half the bare rate", p99, "<=", 5)
  t("batched rows/s", rows, ">=", 2000000) }
  function t(what, v, op, bound) { ok = (op == ">=") ? v >= bound : v <= bound
    printf "%-32s %12.2f  %s %s  %s\n", what, v, op, bound, ok ? "met" : "missed" }'
