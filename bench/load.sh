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
  # Warm-up, discarded: tiered JIT compilation settles before the measured run (the same for every server).
  wrk -t2 -c"$connections" -d5s -s bench/feedback.lua "http://127.0.0.1:$2/" >/dev/null
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
# Paced: half the ceiling's rate, then half of this server's own maximum (10 ms between requests per connection).
paced() { # name target-rps
  local conns=$(( $2 / 100 )); [ "$conns" -lt 1 ] && conns=1
  DELAY_MS=10 wrk -t2 -c"$conns" -d"${duration}s" --latency -s bench/feedback.lua "http://127.0.0.1:5103/" | grep RESULT | sed "s/^RESULT/$1 target_rps=$2/"
}
ceiling_rps=$(echo "$ceiling" | sed -E 's/.*rps=([0-9]+).*/\1/')
sqlite_rps=$(echo "$sqlite" | sed -E 's/.*rps=([0-9]+).*/\1/')
paced_half_ceiling=$(paced paced_half_ceiling $(( ceiling_rps / 2 )))
paced_half_own=$(paced paced_half_own $(( sqlite_rps / 2 )))
count=$(curl -s 'http://127.0.0.1:5103/v1/metrics?format=json' | python3 -c 'import json,sys; print(sum(d["count"] for d in json.load(sys.stdin)["deployments"]))')

echo "== our server, --state sqlite, batched: one event of 1000 rows per request, 8 connections"
batch=$(ROWS=1000 wrk -t2 -c8 -d"${duration}s" --latency -s bench/batch.lua "http://127.0.0.1:5103/" | grep RESULT | sed 's/^RESULT/batch/')
kill $pid; wait $pid 2>/dev/null || true
db_bytes=$(du -cb "$work/state" | tail -1 | cut -f1)

echo "== our server, --state sqlite, workstation GC as in the image, 10000 keys: RSS after single events spread over 10000 deployments"
DOTNET_gcServer=0 dotnet "$server_dll" --http_port 5104 --bind_address 127.0.0.1 --state sqlite --state_dir "$work/keys" >/dev/null 2>&1 & pid=$!
wait_up 5104 /ready 200
KEYS=10000 wrk -t2 -c16 -d"${duration}s" -s bench/keys.lua "http://127.0.0.1:5104/" >/dev/null
curl -s "http://127.0.0.1:5104/v1/metrics" >/dev/null
keys=$(curl -s 'http://127.0.0.1:5104/v1/metrics?format=json' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["deployments"]))')
keys_rss=$(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 ))
kill $pid; wait $pid 2>/dev/null || true

python3 - "$ceiling" "$memory" "$sqlite" "$count" "$db_bytes" "$duration" "$connections" "$batch" "$keys" "$keys_rss" "$paced_half_ceiling" "$paced_half_own" <<'PY'
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
batch = parse(sys.argv[8])[1]
print(f"| sqlite, 1000-row events, 8 connections | {batch['rps']:.0f} | {batch['p50_ms']:.2f} | {batch['p99_ms']:.2f} | {batch['errors']:.0f} | | {batch['rows_per_s']:.0f} rows/s |")
for line in sys.argv[11:13]:
    name, r = parse(line)
    print(f"| sqlite, paced at {r['target_rps']:.0f} req/s ({name.replace('paced_', '').replace('_', ' ')}) | {r['rps']:.0f} achieved | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']:.0f} | | |")
print(f"\nRSS with {sys.argv[9]} keys (one single-row event or more each, after a scrape): {sys.argv[10]} MB")
print(f"\nsqlite: {count} events counted, state dir {db_bytes / 1e6:.1f} MB after the run = {db_bytes / max(count, 1):.0f} bytes per event "
      f"(mostly the remembered (source, id) of each event; bounded by --dedupe_ttl and --dedupe_max_ids)")
PY
