#!/usr/bin/env bash
# A/B of logged response events at the join's cap, as a busy server runs: two builds of the server (OLD_DLL, and this
# checkout's), both on core 1 with SQLite state and --join_max_entries CAP, each prefilled with CAP pending responses
# (bench/prefill.py, KIND=response) so every new response evicts the oldest, warmed 40 s, then ROUNDS rounds of
# SECONDS-long runs of bench/join.lua (KIND=response, 64 connections, wrk on core 0), alternating old / new.
# Usage: OLD_DLL=path/to/FeedbackMetrics.Server.dll bash bench/join-cap-ab.sh [seconds=10] [rounds=3] [cap=200000]
# (build the old commit in a worktree: git worktree add /tmp/old REV && dotnet build /tmp/old/src/FeedbackMetrics.Server -c Release)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
cap="${3:-200000}"
old_dll="${OLD_DLL:?set OLD_DLL to the FeedbackMetrics.Server.dll of the other build}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
new_dll=src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

declare -A dll=([old]="$old_dll" [new]="$new_dll") port=([old]=5381 [new]=5382)
for name in old new; do
  DOTNET_gcServer=0 taskset -c 1 dotnet "${dll[$name]}" --http_port "${port[$name]}" --bind_address 127.0.0.1 --state sqlite \
    --state_dir "$work/$name" --join_max_entries "$cap" >/dev/null 2>&1 &
done
for name in old new; do
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:${port[$name]}/ready" && break; sleep 0.2; done
done
for name in old new; do KIND=response python3 bench/prefill.py "http://127.0.0.1:${port[$name]}/" "$cap"; done
for name in old new; do
  KIND=response RUN_ID="warm-$name" taskset -c 0 wrk -t1 -c64 -d40s -s bench/join.lua "http://127.0.0.1:${port[$name]}/" >/dev/null
done
for round in $(seq 1 "$rounds"); do
  for name in old new; do
    KIND=response RUN_ID="r$round-$name" taskset -c 0 wrk -t1 -c64 -d"${seconds}s" --latency -s bench/join.lua \
      "http://127.0.0.1:${port[$name]}/" | grep RESULT | sed "s/^RESULT/round $round $name/"
  done
done
for name in old new; do
  figures=$(curl -s "http://127.0.0.1:${port[$name]}/v1/metrics" | grep -E '^feedback_metrics_join_(pending_responses|expired_total)' | grep -v 'side="truth"' | grep -v 'reason="ttl"' | awk '{printf "%s ", $2}')
  echo "$name pending and evicted by the cap: $figures"
done
