#!/usr/bin/env bash
# Measures what a feature costs on the proxy's hot path: the same published edge, same origins
# and same load, with the feature on and off, alternating runs, medians compared.
#   FEATURE=resilience     health checks (active + passive), circuit breakers and retries
#   FEATURE=observability  metrics (scraped every second) and request logs at Information
# Loopback only; bounded: about BLOCKS x (2 x WARMUP + RUNS x 2 x DURATION) seconds.
#
#   load-tests/feature-overhead.sh            # resilience: 5 blocks x 6 paired runs of 3 s (about 6 minutes)
#   FEATURE=observability BLOCKS=8 RUNS=6 DURATION=3 WARMUP=15 CONNECTIONS=64 load-tests/feature-overhead.sh
#
#   PAIR=1 FEATURE=observability load-tests/feature-overhead.sh   # both edges under load at once (below)
#   OUTBOUND_HTTP=false FEATURE=observability ...   # the "on" edge without .NET's outbound HTTP metrics (Edge:Metrics:OutboundHttp)
#
# PAIR=1: instead of taking turns, both edges are loaded at the same time, each by its own wrk
# (half the connections and threads each), on the same core. Every drift of a shared machine's
# speed then hits both alike within the same seconds, which taking turns cannot promise on a
# machine whose speed moves by 2x from minute to minute. The two share the core, so what a
# run compares is CPU per request (the throughput of a CPU-bound edge is its inverse).
#
# Needs: wrk and nginx (Debian packages `wrk`, `nginx-light`); nginx serves the origins.
# On a machine with 2 or more cores the edge gets core 0 to itself and wrk and nginx share the
# rest (taskset), so the two configurations compete for the same, steadier CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-6} # paired runs per block
OUTBOUND_HTTP=${OUTBOUND_HTTP:-true} # Edge:Metrics:OutboundHttp of the "on" edge (metrics, observability)
[[ $OUTBOUND_HTTP =~ ^(true|false)$ ]] || { echo "feature-overhead: OUTBOUND_HTTP must be true or false" >&2; exit 2; }
FEATURE=${FEATURE:-resilience} # resilience | observability | metrics | requestlogs (the last two: each half of observability)
[[ $FEATURE =~ ^(resilience|observability|metrics|requestlogs)$ ]] || { echo "feature-overhead: FEATURE must be resilience, observability, metrics or requestlogs" >&2; exit 2; }
DURATION=${DURATION:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ORIGIN_PORTS=(18081 18082)
EDGE_PORT=18080 # and 18090 for the second edge
ADMIN_PORT=18901

if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  EDGE_CPU=(taskset -c 0) LOAD_CPU=(taskset -c "1-$(($(nproc) - 1))")
else
  EDGE_CPU=() LOAD_CPU=()
fi

for tool in wrk nginx dotnet; do
  command -v "$tool" >/dev/null || { echo "feature-overhead: '$tool' is not installed" >&2; exit 2; }
done

for p in "${ORIGIN_PORTS[@]}" "$EDGE_PORT" $((EDGE_PORT + 10)); do
  # A stale nginx or edge from an interrupted run would otherwise answer in place of this run's.
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "feature-overhead: 127.0.0.1:$p is already in use (a stale nginx or edge from an earlier run?); stop it first" >&2
    exit 2
  fi
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== publishing edge (Release)"
dotnet publish src/Edge.Proxy -c Release -o "$work/edge" --nologo -v quiet >/dev/null

cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen 127.0.0.1:${ORIGIN_PORTS[0]}; location / { return 200 "hello from origin a\n"; } }
  server { listen 127.0.0.1:${ORIGIN_PORTS[1]}; location / { return 200 "hello from origin b\n"; } }
}
NGINX
"${LOAD_CPU[@]}" nginx -c "$work/nginx.conf"

config() { # $1 = on|off, $2 = public port, $3 = admin port
  local resilience health observability
  # Everything not under test is the same on both sides.
  health=''
  resilience='"Resilience": { "CircuitBreaker": { "Enabled": false }, "Retry": { "Enabled": false } }'
  observability='"Logging": { "Level": "Warning", "RequestLogs": false }, "Metrics": { "Enabled": false }'
  case "$FEATURE:$1" in
    resilience:on)
      health='"HealthCheck": { "Active": { "Enabled": true, "Interval": "00:00:05", "Path": "/health" }, "Passive": { "Enabled": true } },'
      resilience='"Resilience": { "CircuitBreaker": { "Enabled": true }, "Retry": { "Enabled": true, "MaxAttempts": 2 } }' ;;
    observability:on)
      # Metrics aggregated (and scraped below) and one JSON request line per request at Information.
      observability='"Logging": { "Level": "Information", "RequestLogs": true }, "Metrics": { "Enabled": true, "OutboundHttp": '$OUTBOUND_HTTP' }' ;;
    metrics:on)
      observability='"Logging": { "Level": "Warning", "RequestLogs": false }, "Metrics": { "Enabled": true, "OutboundHttp": '$OUTBOUND_HTTP' }' ;;
    requestlogs:on)
      observability='"Logging": { "Level": "Information", "RequestLogs": true }, "Metrics": { "Enabled": false }' ;;
  esac
  cat <<JSON
{
  "ReverseProxy": {
    "Routes": { "all": { "ClusterId": "main", "Match": { "Path": "/{**catchall}" } } },
    "Clusters": { "main": { "LoadBalancingPolicy": "RoundRobin", $health
      "Destinations": {
        "a": { "Address": "http://127.0.0.1:${ORIGIN_PORTS[0]}/" },
        "b": { "Address": "http://127.0.0.1:${ORIGIN_PORTS[1]}/" } } } }
  },
  "Edge": {
    "Listeners": { "Public": "http://127.0.0.1:$2", "Admin": "http://127.0.0.1:$3" },
    "Shutdown": { "DrainDelay": "00:00:00" },
    $observability,
    $resilience
  }
}
JSON
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system clock ticks

declare -A port admin pid
port[off]=$EDGE_PORT admin[off]=$ADMIN_PORT
port[on]=$((EDGE_PORT + 10)) admin[on]=$((ADMIN_PORT + 10))
for mode in off on; do config "$mode" "${port[$mode]}" "${admin[$mode]}" >"$work/edge-$mode.json"; done

# Both edges run side by side on the same core; only the one under load is busy, so slow drifts
# of a shared machine's speed hit both alike, and runs alternate. A process's own JIT (tiered,
# profile-guided) makes one process a few percent faster or slower than the next, which
# alternation cannot cancel: so the runs are split into BLOCKS, each with a fresh pair of edges.
start_edges() {
  for mode in off on; do
    # Request lines go where a container's stdout goes; a file would fill the disk.
    "${EDGE_CPU[@]}" "$work/edge/edge" --config "$work/edge-$mode.json" >/dev/null 2>"$work/edge-$mode.log" &
    pid[$mode]=$!
    pids+=("${pid[$mode]}")
  done
  for mode in off on; do
    for _ in $(seq 1 100); do
      curl -sf "http://127.0.0.1:${admin[$mode]}/readyz" >/dev/null 2>&1 && break
      sleep 0.1
    done
  done
  # The scraper starts before the warm-up: the scrape path runs once a second, so its methods
  # take tens of seconds of scrapes to be compiled at their final tier, and that compiling belongs
  # to the warm-up, not to the runs measured after it.
  if [[ $FEATURE == observability || $FEATURE == metrics ]]; then
    (while sleep 1; do curl -sf "http://127.0.0.1:${admin[on]}/metrics" >/dev/null || true; done) &
    scraper=$!
    pids+=("$scraper")
  fi
  for mode in off on; do
    "${LOAD_CPU[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP:-15}s" "http://127.0.0.1:${port[$mode]}/" >/dev/null # warm-up: tiered JIT settles
  done
}

stop_edges() {
  [[ -n ${scraper:-} ]] && { kill "$scraper" 2>/dev/null || true; scraper=''; }
  for mode in off on; do kill "${pid[$mode]}" 2>/dev/null || true; wait "${pid[$mode]}" 2>/dev/null || true; done
}

measure() { # $1 = on|off; prints "requests/second cpu-ms-per-1000-requests"
  local before after result
  before=$(cpu_ticks "${pid[$1]}")
  result=$("${LOAD_CPU[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:${port[$1]}/")
  after=$(cpu_ticks "${pid[$1]}")
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    / requests in / { n = $1 } /Requests\/sec/ { rps = $2 }
    END { printf "%s %.1f\n", rps, ticks / hz * 1000 * 1000 / n }' <<<"$result"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

measure_pair() { # both at once; prints "off-rps off-cpu on-rps on-cpu" (cpu in ms per 1000 requests)
  local b_off b_on a_off a_on out_off=$work/wrk-off.txt out_on=$work/wrk-on.txt half=$((CONNECTIONS / 2)) threads=$(( THREADS > 1 ? THREADS / 2 : 1 ))
  b_off=$(cpu_ticks "${pid[off]}") b_on=$(cpu_ticks "${pid[on]}")
  "${LOAD_CPU[@]}" wrk -t"$threads" -c"$half" -d"${DURATION}s" "http://127.0.0.1:${port[off]}/" >"$out_off" &
  local w1=$!
  "${LOAD_CPU[@]}" wrk -t"$threads" -c"$half" -d"${DURATION}s" "http://127.0.0.1:${port[on]}/" >"$out_on" &
  local w2=$!
  wait "$w1" "$w2"
  a_off=$(cpu_ticks "${pid[off]}") a_on=$(cpu_ticks "${pid[on]}")
  for mode in off on; do
    local ticks out
    if [[ $mode == off ]]; then ticks=$((a_off - b_off)) out=$out_off; else ticks=$((a_on - b_on)) out=$out_on; fi
    awk -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" '
      / requests in / { n = $1 } /Requests\/sec/ { rps = $2 }
      END { printf "%s %.1f ", rps, ticks / hz * 1000 * 1000 / n }' "$out"
  done
  echo
}

BLOCKS=${BLOCKS:-5}
on=() off=() on_cpu=() off_cpu=() ratios=() cpu_ratios=()
for block in $(seq 1 "$BLOCKS"); do
  start_edges
  block_ratios=()
  for run in $(seq 1 "$RUNS"); do
    if [[ ${PAIR:-0} == 1 ]]; then
      read -r rps cpu rps2 cpu2 < <(measure_pair)
      off+=("$rps") off_cpu+=("$cpu") on+=("$rps2") on_cpu+=("$cpu2")
    else
      # Alternate which goes first, so neither always runs on the fresher side of a drift.
      order=(off on); (( run % 2 == 0 )) && order=(on off)
      for mode in "${order[@]}"; do
        read -r rps cpu < <(measure "$mode")
        if [[ $mode == on ]]; then on+=("$rps"); on_cpu+=("$cpu"); else off+=("$rps"); off_cpu+=("$cpu"); fi
      done
    fi
    ratios+=("$(awk -v a="${on[-1]}" -v b="${off[-1]}" 'BEGIN { printf "%.4f", a / b }')")
    cpu_ratios+=("$(awk -v a="${on_cpu[-1]}" -v b="${off_cpu[-1]}" 'BEGIN { printf "%.4f", a / b }')")
    block_ratios+=("${ratios[-1]}")
    echo "block $block run $run: off ${off[-1]} req/s (${off_cpu[-1]} cpu-ms/1000 req), on ${on[-1]} req/s (${on_cpu[-1]} cpu-ms/1000 req), on/off ${ratios[-1]}"
  done
  echo "block $block: median throughput on/off $(printf '%s\n' "${block_ratios[@]}" | median)"
  stop_edges
done

m_off=$(printf '%s\n' "${off[@]}" | median)
m_on=$(printf '%s\n' "${on[@]}" | median)
c_off=$(printf '%s\n' "${off_cpu[@]}" | median)
c_on=$(printf '%s\n' "${on_cpu[@]}" | median)
echo "median throughput: off $m_off req/s, on $m_on req/s"
echo "median edge CPU per 1000 requests: off $c_off ms, on $c_on ms"
echo "median of paired ratios (each run's on against the off run beside it):"
echo "  throughput on/off $(printf '%s\n' "${ratios[@]}" | median), CPU per request on/off $(printf '%s\n' "${cpu_ratios[@]}" | median)"
if [[ ${PAIR:-0} == 1 ]]; then
  echo "(both edges loaded at once on one core, each by wrk -t$(( THREADS > 1 ? THREADS / 2 : 1 )) -c$((CONNECTIONS / 2)); $BLOCKS blocks of fresh edges x $RUNS ${DURATION}s runs after ${WARMUP:-15}s warm-up;"
  echo " they share the core, so read CPU per request: a CPU-bound edge's throughput is its inverse, 1 / on/off)"
else
  echo "(wrk -t$THREADS -c$CONNECTIONS, $BLOCKS blocks of fresh edges x $RUNS paired ${DURATION}s runs after ${WARMUP:-15}s warm-up, alternating)"
fi
