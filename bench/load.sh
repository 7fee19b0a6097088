#!/usr/bin/env bash
# Load benchmark: single-event POSTs under wrk against, in one run, the bare Kestrel ceiling, our server with
# --state memory and our server with --state sqlite. Prints req/s, p50, p99 and the ratio to the ceiling.
# Usage: bash bench/load.sh [seconds=10] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

echo "== building (Release)"
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
dotnet build bench/Ceiling -c Release -nologo -v quiet >/dev/null
server_dll=src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll
ceiling_dll=bench/Ceiling/bin/Release/net10.0/Ceiling.dll
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_up() { # port path expected-status
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2")" = "$3" ] && return 0
    sleep 0.1
  done
  echo "server on $1 did not come up" >&2; exit 1
}

run() { # name port
  wrk -t2 -c"$connections" -d"${duration}s" --latency -s bench/feedback.lua "http://127.0.0.1:$2/" > "$work/$1.txt"
  grep RESULT "$work/$1.txt" | sed "s/^RESULT/$1/"
}

measure() { # name port pid
  local line; line=$(run "$1" "$2")
  local rss; rss=$(awk '/VmRSS/ {print $2}' "/proc/$3/status")
  echo "$line rss_mb=$((rss / 1024))"
}

echo "== ceiling: bare Kestrel, read body, 202"
dotnet "$ceiling_dll" --urls http://127.0.0.1:5101 >/dev/null 2>&1 & pid=$!
wait_up 5101 /nonexistent 404
ceiling=$(measure ceiling 5101 $pid); kill $pid; wait $pid 2>/dev/null || true

echo "== our server, --state memory"
dotnet "$server_dll" --http_port 5102 --bind_address 127.0.0.1 --state memory >/dev/null 2>&1 & pid=$!
wait_up 5102 /ready 200
memory=$(measure memory 5102 $pid); kill $pid; wait $pid 2>/dev/null || true

echo "== our server, --state sqlite"
dotnet "$server_dll" --http_port 5103 --bind_address 127.0.0.1 --state sqlite --state_dir "$work/state" >/dev/null 2>&1 & pid=$!
wait_up 5103 /ready 200
sqlite=$(measure sqlite 5103 $pid)
count=$(curl -s 'http://127.0.0.1:5103/v1/metrics?format=json' | python3 -c 'import json,sys; print(sum(d["count"] for d in json.load(sys.stdin)["deployments"]))')
kill $pid; wait $pid 2>/dev/null || true
db_bytes=$(du -cb "$work/state" | tail -1 | cut -f1)

python3 - "$ceiling" "$memory" "$sqlite" "$count" "$db_bytes" "$duration" "$connections" <<'PY'
import sys
def parse(line):
    name, *pairs = line.split()
    return name, {k: float(v) for k, v in (p.split("=") for p in pairs)}
rows = [parse(l) for l in sys.argv[1:4]]
count, db_bytes, duration, connections = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
ceiling = rows[0][1]["rps"]
print(f"\nwrk -t2 -c{connections} -d{duration}s, one single-row feedback event per request, unique ce-id each\n")
print(f"| server | req/s | p50 ms | p99 ms | errors | RSS MB | ratio to ceiling |")
print(f"|---|---:|---:|---:|---:|---:|---:|")
for name, r in rows:
    print(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']:.0f} | {r['rss_mb']:.0f} | {r['rps'] / ceiling:.0%} |")
print(f"\nsqlite: {count} events counted, state dir {db_bytes / 1e6:.1f} MB after the run = {db_bytes / max(count, 1):.0f} bytes per event "
      f"(mostly the remembered (source, id) of each event; bounded by --dedupe_ttl and --dedupe_max_ids)")
PY
