#!/usr/bin/env bash
# Replicas on one Redis against one replica on SQLite, in one run: single-event requests (bench/feedback.lua) sent
# to 1, 2 and 3 replicas sharing a redis-server (appendonly yes, appendfsync always: an acknowledged event survives a
# Redis restart), and to one SQLite server; each load is SECONDS long, rounds alternate, medians are printed with the
# Redis commands the replicas sent per counted event (INFO commandstats over the measured runs), and redis-server's CPU per
# counted event (user + system time from /proc), from which events/s per Redis core follow.
# This machine has two cores: every server runs on core 1 and Redis and wrk share core 0, so the figures say what the
# shared store costs per event, not how far replicas on their own machines scale.
# Then the late-truth join on the three replicas (bench/join.lua): Seldon response events spread over them, then the
# truth-only feedback for each replica's responses sent to the next replica, so every join crosses replicas (the
# replicas keep up to a million join entries: at these rates the default 100 000 evicts responses before their truths).
# Usage: bash bench/replicas.sh [seconds=10] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }

echo "== building (Release)"
dotnet build src/FeedbackMetrics.Server -c Release -nologo -v quiet >/dev/null
server_dll=src/FeedbackMetrics.Server/bin/Release/net10.0/FeedbackMetrics.Server.dll
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_up() { # port
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/ready")" = "200" ] && return 0
    sleep 0.1
  done
  echo "server on $1 did not come up" >&2; exit 1
}

taskset -c 0 redis-server --port 6391 --bind 127.0.0.1 --dir "$work" --save "" --appendonly yes --appendfsync always >/dev/null 2>&1 &
for _ in $(seq 1 100); do redis-cli -p 6391 ping >/dev/null 2>&1 && break; sleep 0.1; done
DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port 5301 --bind_address 127.0.0.1 --state sqlite --state_dir "$work/state" >/dev/null 2>&1 &
for p in 5311 5312 5313; do
  DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port "$p" --bind_address 127.0.0.1 --state redis://127.0.0.1:6391 \
    --join_max_entries 1000000 >"$work/replica-$p.log" 2>&1 &
done
for p in 5301 5311 5312 5313; do wait_up "$p"; done

# load NAME PORT... : 64 connections in all, split over the given servers, one wrk each; prints the summed rate.
load() {
  local name=$1; shift
  local n=$# conns=$((64 / $#)) outs=()
  for p in "$@"; do
    outs+=("$work/wrk-$p")
    RUN_ID="$name-$p-$(date +%s%N)" taskset -c 0 wrk -t1 -c"$conns" -d"${seconds}s" --latency -s bench/feedback.lua "http://127.0.0.1:$p/" >"$work/wrk-$p" &
  done
  wait $(jobs -p | tail -n "$n")
  cat "${outs[@]}" | grep RESULT | sed -E 's/.*rps=([0-9]+).*/\1/' | awk -v n="$name" '{s += $1} END {printf "%s rps=%d\n", n, s}'
}

echo "== warm-up (discarded, ${WARMUP:-45} s each server)"
for p in 5301 5311 5312 5313; do
  taskset -c 0 wrk -t1 -c64 -d"${WARMUP:-45}s" -s bench/feedback.lua "http://127.0.0.1:$p/" >/dev/null
done

# Events the replicas counted so far, from their own counters.
accepted() {
  for p in 5311 5312 5313; do
    curl -s "http://127.0.0.1:$p/v1/metrics" | grep -E '^feedback_metrics_events_total\{outcome="accepted"\}' | awk '{print $2}'
  done | awk '{s += $1} END {printf "%d", s}'
}
redis-cli -p 6391 config resetstat >/dev/null
accepted_before=$(accepted)
redis_pid=$(redis-cli -p 6391 info server | tr -d '\r' | sed -n 's/^process_id://p')
redis_cpu() { awk '{print $14 + $15}' "/proc/$redis_pid/stat"; } # user + system, in clock ticks
redis_cpu_before=$(redis_cpu)

echo "== $rounds rounds of ${seconds} s, alternating"
declare -A rps
for round in $(seq 1 "$rounds"); do
  for set in sqlite redis_1 redis_2 redis_3; do
    case $set in
      sqlite) line=$(load "$set" 5301) ;;
      redis_1) line=$(load "$set" 5311) ;;
      redis_2) line=$(load "$set" 5311 5312) ;;
      redis_3) line=$(load "$set" 5311 5312 5313) ;;
    esac
    echo "round $round $line"
    rps[$set]+="$(echo "$line" | sed -E 's/.*rps=([0-9]+).*/\1/') "
  done
done

# Every wrk process sends ids of its own (RUN_ID): a duplicate means the load repeated ids, and a rate of duplicates
# is not a rate of events.
duplicates=$(for p in 5301 5311 5312 5313; do curl -s "http://127.0.0.1:$p/v1/metrics"; done \
  | grep -E '^feedback_metrics_events_total\{.*outcome="duplicate"' | awk '{s += $2} END {printf "%d", s}')
[ "$duplicates" = 0 ] || { echo "FAILED: the servers counted $duplicates events as duplicates" >&2; exit 1; }

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
base=$(echo "${rps[sqlite]}" | median)
for set in sqlite redis_1 redis_2 redis_3; do
  m=$(echo "${rps[$set]}" | median)
  awk -v n="$set" -v m="$m" -v b="$base" 'BEGIN {printf "median %-8s rps=%.0f ratio_to_sqlite=%.2f\n", n, m, m / b}'
done

# Commands the replicas sent to Redis during the measured runs, per event they counted meanwhile, and Redis's CPU.
counted=$(( $(accepted) - accepted_before ))
redis_ticks=$(( $(redis_cpu) - redis_cpu_before ))
echo "== redis commands during the measured runs ($counted events counted by the replicas)"
redis-cli -p 6391 --no-raw info commandstats | tr -d '\r' | grep '^cmdstat_' | sed -E 's/^cmdstat_([a-z|]+):calls=([0-9]+).*/\1 \2/' \
  | awk -v e="$counted" '{t += $2; if ($1 ~ /^(evalsha|eval|fcall)$/) s += $2; printf "  %-18s %10d calls\n", $1, $2}
      END {printf "script calls (round trips) per counted event: %.2f; commands Redis ran per counted event, inside scripts included: %.2f\n", s / e, t / e}'
redis-cli -p 6391 --no-raw info commandstats | tr -d '\r' | grep '^cmdstat_evalsha' | sed -E 's/.*calls=([0-9]+),usec=([0-9]+).*/\1 \2/' \
  | awk -v e="$counted" -v ticks="$redis_ticks" -v hz="$(getconf CLK_TCK)" '{
      printf "script time: %.1f us per call, %.2f us per counted event; redis-server CPU (user + system): %.2f us per counted event, so about %.0f counted events/s per fully busy Redis core\n",
        $2 / $1, $2 / e, ticks / hz * 1e6 / e, e / (ticks / hz) }'

# The join across replicas: responses logged through each replica, their truths through the next one.
joined() { # summed over the replicas: only the one holding the exporter lease writes the join series
  for p in 5311 5312 5313; do curl -s "http://127.0.0.1:$p/v1/metrics"; done | grep -E '^feedback_metrics_join_joined_total' | awk '{s += $2} END {printf "%d", s}'
}
join_load() { # KIND
  local outs=() i=0 ports=(5311 5312 5313)
  for p in "${ports[@]}"; do
    local target=$p
    [ "$1" = truth ] && target=${ports[$(( (i + 1) % 3 ))]}
    outs+=("$work/join-$p")
    KIND=$1 RUN_ID="$run_id-$p" taskset -c 0 wrk -t1 -c21 -d"${seconds}s" --latency -s bench/join.lua "http://127.0.0.1:$target/" >"$work/join-$p" &
    i=$((i + 1))
  done
  wait $(jobs -p | tail -n 3)
  cat "${outs[@]}" | grep RESULT | sed -E 's/.*rps=([0-9]+).*errors=([0-9]+) requests=([0-9]+).*/\1 \2 \3/' \
    | awk -v k="$1" '{s += $1; e += $2; n += $3} END {printf "redis_3 join %s rps=%d requests=%d not_2xx_or_failed=%d\n", k, s, n, e}'
}
echo "== late truth on 3 replicas (bench/join.lua): responses through each replica, truths through the next"
run_id="join-$(date +%s)"
join_load response
before=$(joined)
join_load truth
sleep 2 # the exporting replica's join figures follow its refresh
echo "redis_3 joined truths_per_s=$(( ($(joined) - before) / seconds )) (feedback_metrics_join_joined_total summed over the replicas)"
outcomes() { # the replicas' events by outcome since they started
  for p in 5311 5312 5313; do curl -s "http://127.0.0.1:$p/v1/metrics"; done | grep -E '^feedback_metrics_events_total\{' \
    | sed -E 's/.*outcome="([a-z]+)".* ([0-9.e+]+)$/\1 \2/' | awk '{s[$1] += $2} END {for (o in s) printf " %s=%d", o, s[o]; print ""}'
}
echo "redis_3 events by outcome since start:$(outcomes)"


# With --reply_url every counted event's metric event is written in the same script as its change set; a commit that
# finds the log moved by another replica is refused with what was missed and decided again (at most 64 times, then
# 503). Three replicas on one model, their own key prefix, a sink that answers 202 to every metric event.
echo "== 3 replicas with --reply_url (one model; metric events posted to a local sink)"
python3 -c '
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0))); self.send_response(202); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
S(("127.0.0.1", 5320), H).serve_forever()' &
for p in 5321 5322 5323; do
  DOTNET_gcServer=0 taskset -c 1 dotnet "$server_dll" --http_port "$p" --bind_address 127.0.0.1 --state redis://127.0.0.1:6391 \
    --redis_prefix bench-reply --reply_url http://127.0.0.1:5320/ >"$work/reply-$p.log" 2>&1 &
done
for p in 5321 5322 5323; do wait_up "$p"; done
seconds_saved=$seconds; seconds=20; load warm-up 5321 5322 5323 >/dev/null; seconds=$seconds_saved
refused() {
  for p in 5321 5322 5323; do curl -s "http://127.0.0.1:$p/v1/metrics"; done \
    | grep -E '^feedback_metrics_events_total\{outcome="(accepted|unavailable)"\}' | awk '{print $2}' | paste -sd' '
}
redis-cli -p 6391 config resetstat >/dev/null
before_reply=$(refused)
line=$(load reply_3 5321 5322 5323)
after_reply=$(refused)
calls=$(redis-cli -p 6391 info commandstats | tr -d '\r' | grep '^cmdstat_evalsha' | sed -E 's/^cmdstat_evalsha:calls=([0-9]+).*/\1/')
echo "$before_reply|$after_reply|$calls|$line" | awk -F'|' '{
  split($1, b, " "); split($2, a, " "); acc = 0; una = 0
  for (i = 1; i <= 6; i += 2) { acc += a[i] - b[i]; una += a[i + 1] - b[i + 1] }
  printf "%s counted=%d refused_503=%d script_calls_per_counted_event=%.2f\n", $4, acc, una, $3 / acc }'
