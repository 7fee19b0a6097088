#!/usr/bin/env bash
# Replicas on a Redis Cluster: how the store's work spreads over the masters, and what one master's share costs.
# Starts a cluster of three masters with one replica each (six redis-server processes, appendonly yes, appendfsync
# always), N server replicas on it (--state redis://every node), and loads them for SECONDS with single-row Seldon
# feedback events (bench/feedback.lua) spread over D deployments (ce-inferenceservicename bench-0 … bench-(D-1)),
# 64 connections split over the replicas, one wrk each with its own RUN_ID. After a warm-up (WARMUP seconds, default 45)
# the command figures are reset and the measured run prints:
#   - counted events/s (the replicas' own feedback_metrics_events_total{outcome="accepted"});
#   - per master: its share of the script calls (evalsha/eval/fcall), of all commands (those run inside scripts
#     included, as INFO commandstats counts them) and of the keys (DBSIZE); microseconds of command time per counted
#     event (the sum of usec over INFO commandstats) and of CPU per counted event (used_cpu_sys + used_cpu_user of
#     INFO cpu, before and after);
#   - script calls and commands per counted event, over all masters;
#   - a projection: the events/s a fully busy master takes of its own (1e6 / its usec per counted event × its share of
#     the script calls), the events/s at which each master saturates as the load is spread now, and for 1, 3, 6 and 12
#     masters the events/s the cluster takes if the shares stay even (N × 1e6 / usec per counted event summed over the
#     masters).
# What it cannot say: everything runs on one two-core machine. The six redis-server processes and wrk share core 0,
# the server replicas core 1, so the counted events/s is what two cores give, not what a cluster on its own machines
# gives; masters and replicas compete for one core and one disk (every node fsyncs its AOF on every write), replication
# to the replicas costs the masters CPU it would cost them anywhere but costs the replicas CPU on the same core here,
# and loopback has no network latency. The per-event costs are the measured part; the projection assumes each master's
# cost per event stays as measured when it has a core of its own, and is only as even as the shares printed above it.
# The servers' own counters check the load: a duplicate counted by any replica fails the run.
# Usage: bash bench/cluster.sh [replicas=2] [deployments=60] [seconds=10]     (WARMUP=seconds, default 45)
set -euo pipefail
cd "$(dirname "$0")/.."
replicas="${1:-2}"
deployments="${2:-60}"
seconds="${3:-10}"
warmup="${WARMUP:-45}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
command -v redis-cli >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-tools >/dev/null; }

echo "== building (Release)"
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
server_dll=src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

nodes=(7201 7202 7203 7204 7205 7206)
servers=()
for r in $(seq 1 "$replicas"); do servers+=($((5400 + r))); done

wait_up() { # port
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/ready")" = "200" ] && return 0
    sleep 0.1
  done
  echo "server on $1 did not come up" >&2; exit 1
}

# A longer node timeout than the tests' 2 s: a master on a saturated core must not be taken for dead mid-run.
for p in "${nodes[@]}"; do
  mkdir -p "$work/redis-$p"
  taskset -c 0 redis-server --port "$p" --bind 127.0.0.1 --dir "$work/redis-$p" --save "" --appendonly yes --appendfsync always \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 >"$work/redis-$p.log" 2>&1 &
done
for p in "${nodes[@]}"; do
  for _ in $(seq 1 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${nodes[@]}") --cluster-replicas 1 --cluster-yes >"$work/create.log" 2>&1 \
  || { cat "$work/create.log" >&2; exit 1; }

# Ready: every node says cluster_state:ok, three masters, every replica linked to its master.
role() { redis-cli -p "$1" role | head -n 1; }
healthy() {
  local masters=0
  for p in "${nodes[@]}"; do
    redis-cli -p "$p" cluster info | grep -q '^cluster_state:ok' || return 1
    if [ "$(role "$p")" = master ]; then masters=$((masters + 1))
    else redis-cli -p "$p" info replication | grep -q '^master_link_status:up' || return 1; fi
  done
  [ "$masters" = 3 ]
}
for _ in $(seq 1 600); do healthy && break; sleep 0.1; done
healthy || { echo "the cluster did not become healthy" >&2; for p in "${nodes[@]}"; do redis-cli -p "$p" cluster nodes; done >&2; exit 1; }
url="redis://$(printf '127.0.0.1:%s,' "${nodes[@]}" | sed 's/,$//')"

for p in "${servers[@]}"; do
  DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port "$p" --bind_address 127.0.0.1 --state "$url" \
    --redis_prefix bench-cluster >"$work/server-$p.log" 2>&1 &
done
for p in "${servers[@]}"; do wait_up "$p"; done

# load NAME SECONDS : 64 connections in all, split over the servers, one wrk each with its own ids; prints the summed rate.
load() {
  local conns=$((64 / ${#servers[@]})) outs=()
  for p in "${servers[@]}"; do
    outs+=("$work/wrk-$1-$p")
    DEPLOYMENTS="$deployments" RUN_ID="$1-$p-$(date +%s%N)" taskset -c 0 wrk -t1 -c"$conns" -d"$2s" --latency -s bench/feedback.lua "http://127.0.0.1:$p/" >"$work/wrk-$1-$p" &
  done
  wait $(jobs -p | tail -n "${#servers[@]}")
  cat "${outs[@]}" | grep RESULT | sed -E 's/.*rps=([0-9]+).*errors=([0-9]+) requests=([0-9]+).*/\1 \2 \3/' \
    | awk -v n="$1" '{s += $1; e += $2; r += $3} END {printf "%s wrk rps=%d requests=%d not_2xx_or_failed=%d\n", n, s, r, e}'
}

echo "== $replicas server replicas on 3 masters + 3 replicas, $deployments deployments; warm-up ${warmup} s (discarded)"
load warm-up "$warmup"

metric() { # NAME-REGEX: summed over the servers
  for p in "${servers[@]}"; do curl -s "http://127.0.0.1:$p/v1/metrics"; done | grep -E "^$1" | awk '{s += $2} END {printf "%d", s}'
}
masters=()
for p in "${nodes[@]}"; do [ "$(role "$p")" = master ] && masters+=("$p"); done
cpu() { redis-cli -p "$1" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%.6f", s}'; }
declare -A cpu_before
for p in "${nodes[@]}"; do redis-cli -p "$p" config resetstat >/dev/null; done
for p in "${masters[@]}"; do cpu_before[$p]=$(cpu "$p"); done
accepted_before=$(metric 'feedback_metrics_events_total\{outcome="accepted"\}')
outcomes() { # the servers' events by outcome since they started, summed
  for p in "${servers[@]}"; do curl -s "http://127.0.0.1:$p/v1/metrics"; done | grep -E '^feedback_metrics_events_total\{' \
    | sed -E 's/.*outcome="([a-z]+)".* ([0-9.e+]+)$/\1 \2/' | awk '{s[$1] += $2} END {for (o in s) if (s[o] > 0) printf " %s=%d", o, s[o]; print ""}'
}

echo "== measured run, ${seconds} s"
load measured "$seconds"

counted=$(( $(metric 'feedback_metrics_events_total\{outcome="accepted"\}') - accepted_before ))
duplicates=$(metric 'feedback_metrics_events_total\{outcome="duplicate"\}')
[ "$duplicates" = 0 ] || { echo "FAILED: the servers counted $duplicates events as duplicates" >&2; exit 1; }
[ "$counted" -gt 0 ] || { echo "FAILED: nothing was counted" >&2; exit 1; }
awk -v c="$counted" -v s="$seconds" 'BEGIN {printf "counted events/s: %.0f (%d counted in %d s)\n", c / s, c, s}'
echo "events by outcome since the servers started (warm-up included):$(outcomes)"
grep -h -E 'Socket errors|Non-2xx' "$work"/wrk-measured-* | sed 's/^ */wrk: /' || true
# A 503 (unavailable) is a storage fault the servers logged: say which (a timeout on a starved core, a lost socket…).
grep -h 'Storage unavailable' "$work"/server-*.log | cut -c1-400 | head -n 3 | sed 's/^/server log: /' || true

# One line per master: port script_calls all_calls usec keys cpu_seconds (its figures since the reset, its keys now).
for p in "${masters[@]}"; do
  stats=$(redis-cli -p "$p" info commandstats | tr -d '\r' | grep '^cmdstat_' \
    | sed -E 's/^cmdstat_([^:]+):calls=([0-9]+),usec=([0-9]+).*/\1 \2 \3/' \
    | awk '{a += $2; u += $3; if ($1 ~ /^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/) s += $2} END {printf "%d %d %d", s, a, u}')
  echo "$p $stats $(redis-cli -p "$p" dbsize) $(awk -v a="$(cpu "$p")" -v b="${cpu_before[$p]}" 'BEGIN {printf "%.6f", a - b}')"
done >"$work/masters"

awk -v e="$counted" '
  { port[NR] = $1; sc[NR] = $2; ac[NR] = $3; us[NR] = $4; keys[NR] = $5; cpu[NR] = $6
    S += $2; A += $3; U += $4; K += $5; C += $6 }
  END {
    printf "== per master (figures since the reset, keys now)\n"
    printf "%-6s %13s %13s %11s %17s %13s %20s %22s\n", "master", "script calls", "all commands", "keys", "command us/event", "CPU us/event", "own events/s at 100%", "saturates at events/s"
    for (i = 1; i <= NR; i++) {
      cu = cpu[i] * 1e6 / e
      own = (sc[i] > 0 && cu > 0) ? sprintf("%.0f", 1e6 / cu * sc[i] / S) : "-"
      sat = (cu > 0) ? sprintf("%.0f", 1e6 / cu) : "-"
      if (cu > busiest) busiest = cu
      printf "%-6s %12.1f%% %12.1f%% %10.1f%% %17.2f %13.2f %20s %22s\n", port[i], 100 * sc[i] / S, 100 * ac[i] / A, (K ? 100 * keys[i] / K : 0), us[i] / e, cu, own, sat
    }
    printf "per counted event, all masters: %.2f script calls, %.2f commands, %.2f us command time, %.2f us CPU\n", S / e, A / e, U / e, C * 1e6 / e
    printf "as the load is spread now the busiest master saturates at %.0f counted events/s (1e6 / its CPU us per counted event)\n", 1e6 / busiest
    printf "== projection if the shares stay even (N x 1e6 / CPU us per counted event over all masters; command time alone in brackets)\n"
    printf "%-8s %16s\n", "masters", "events/s"
    n = split("1 3 6 12", ns, " ")
    for (j = 1; j <= n; j++) printf "%-8d %16.0f  (%.0f)\n", ns[j], ns[j] * 1e6 / (C * 1e6 / e), ns[j] * 1e6 / (U / e)
  }' "$work/masters"

max_share=$(awk '{s[NR] = $2; t += $2} END {m = 0; for (i in s) if (s[i] / t > m) m = s[i] / t; printf "%.2f", m}' "$work/masters")
awk -v m="$max_share" 'BEGIN {if (m > 0.6) printf "NOTE: one master ran %.0f%% of the script calls: the shares are not even, so the projection does not hold; the cluster takes what its busiest master takes.\n", 100 * m}'
