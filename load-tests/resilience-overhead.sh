#!/usr/bin/env bash
# Measures what health checks, circuit breakers and retries cost on the proxy's hot path:
# the same published edge, same origins and same load, with them configured and with them off,
# alternating runs, medians compared. Loopback only; bounded: RUNS x 2 x DURATION seconds.
#
#   load-tests/resilience-overhead.sh            # 3 runs of 10 s each way (about 1.5 minutes)
#   RUNS=5 DURATION=15 CONNECTIONS=64 load-tests/resilience-overhead.sh
#
# Needs: wrk and nginx (Debian packages `wrk`, `nginx-light`); nginx serves the origins.
# On a machine with 2 or more cores the edge gets core 0 to itself and wrk and nginx share the
# rest (taskset), so the two configurations compete for the same, steadier CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ORIGIN_PORTS=(18081 18082)
EDGE_PORT=18080
ADMIN_PORT=18901

if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  EDGE_CPU=(taskset -c 0) LOAD_CPU=(taskset -c "1-$(($(nproc) - 1))")
else
  EDGE_CPU=() LOAD_CPU=()
fi

for tool in wrk nginx dotnet; do
  command -v "$tool" >/dev/null || { echo "resilience-overhead: '$tool' is not installed" >&2; exit 2; }
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

config() { # $1 = on|off
  local resilience health
  if [[ $1 == on ]]; then
    health='"HealthCheck": { "Active": { "Enabled": true, "Interval": "00:00:05", "Path": "/health" }, "Passive": { "Enabled": true } },'
    resilience='"Resilience": { "CircuitBreaker": { "Enabled": true }, "Retry": { "Enabled": true, "MaxAttempts": 2 } }'
  else
    health=''
    resilience='"Resilience": { "CircuitBreaker": { "Enabled": false }, "Retry": { "Enabled": false } }'
  fi
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
    "Listeners": { "Public": "http://127.0.0.1:$EDGE_PORT", "Admin": "http://127.0.0.1:$ADMIN_PORT" },
    "Shutdown": { "DrainDelay": "00:00:00" },
    "Logging": { "Level": "Warning" },
    $resilience
  }
}
JSON
}

run_edge() { # $1 = on|off; prints requests/second
  config "$1" >"$work/edge-$1.json"
  "${EDGE_CPU[@]}" "$work/edge/edge" --config "$work/edge-$1.json" >"$work/edge-$1.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  "${LOAD_CPU[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "http://127.0.0.1:$EDGE_PORT/" >/dev/null # warm-up
  "${LOAD_CPU[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$EDGE_PORT/" | awk '/Requests\/sec/ { print $2 }'
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

on=() off=()
for run in $(seq 1 "$RUNS"); do
  off+=("$(run_edge off)")
  on+=("$(run_edge on)")
  echo "run $run: off ${off[-1]} req/s, on ${on[-1]} req/s"
done

m_off=$(printf '%s\n' "${off[@]}" | median)
m_on=$(printf '%s\n' "${on[@]}" | median)
ratio=$(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.3f", a / b }')
echo "median: off $m_off req/s, on $m_on req/s, on/off $ratio (wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s x $RUNS)"
