#!/usr/bin/env bash
# The edge side by side with nginx and haproxy, on the same origins and the same load generator,
# in one run: direct-to-origin, nginx, haproxy, a bare YARP app (bare-yarp/: the floor the edge is
# built on) and the edge (edge.json, nginx.conf, haproxy.cfg, origins.conf beside this script). Every point is measured REPEATS times, the targets
# alternating in an order that rotates per round and per point; each measurement follows a short
# warm-up. Writes report.md, report.svg and results.tsv (medians, ratios, every run).
#
#   deploy/nginx-compare/run.sh                     # 3 rounds x 5 points x 5 targets, 5 s each: about 10 minutes
#   QUICK=1 deploy/nginx-compare/run.sh             # 1 round of 1 s runs, report in /tmp: about 1 minute after the publish
#   DURATION=10 REPEATS=5 deploy/nginx-compare/run.sh
#   EDGE_DIR=/path/to/published/edge YARP_DIR=/path/to/published/bare-yarp QUICK=1 deploy/nginx-compare/run.sh   # skip the publishes
#
# Points: HTTP/1.1 (wrk) at 16, 64 and 256 connections on the 19-byte body; 64 connections on the
# 64 KB body; HTTP/2 over TLS (h2load, 16 clients x 10 streams) with TLS ended at the proxy and
# HTTP/1.1 to the origins (direct: origin a's own TLS listener). Loopback (127.0.0.1) only; every
# load is bounded in time; everything started here is stopped on exit.
# Installs nothing: needs nginx, haproxy, wrk, h2load (nghttp2-client), openssl, curl, python3, dotnet.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  DURATION=${DURATION:-1} WARMUP=${WARMUP:-1} REPEATS=${REPEATS:-1} FIRST_WARMUP=${FIRST_WARMUP:-2}
  OUT=${OUT:-${TMPDIR:-/tmp}/edge-compare-quick}
else
  DURATION=${DURATION:-5} WARMUP=${WARMUP:-1} REPEATS=${REPEATS:-3} FIRST_WARMUP=${FIRST_WARMUP:-15}
  OUT=${OUT:-$here}
fi
DURATION=${DURATION%s} WARMUP=${WARMUP%s} FIRST_WARMUP=${FIRST_WARMUP%s}
THREADS=${THREADS:-2}        # wrk and h2load threads
H2_CLIENTS=${H2_CLIENTS:-16}
H2_STREAMS=${H2_STREAMS:-10}
for n in DURATION WARMUP REPEATS FIRST_WARMUP THREADS H2_CLIENTS H2_STREAMS; do
  [[ ${!n} =~ ^[0-9]+$ && ${!n} -ge 1 ]] || { echo "run.sh: $n must be a whole number of at least 1 (got '${!n}')" >&2; exit 2; }
done
command_line="QUICK=$QUICK DURATION=$DURATION WARMUP=$WARMUP REPEATS=$REPEATS FIRST_WARMUP=$FIRST_WARMUP THREADS=$THREADS H2_CLIENTS=$H2_CLIENTS H2_STREAMS=$H2_STREAMS deploy/nginx-compare/run.sh"

# --- tools ---------------------------------------------------------------------------------
declare -A package=([nginx]=nginx [haproxy]=haproxy [wrk]=wrk [h2load]=nghttp2-client [openssl]=openssl [curl]=curl [python3]=python3)
missing=()
for tool in "${!package[@]}"; do command -v "$tool" >/dev/null || missing+=("${package[$tool]}"); done
if ((${#missing[@]} > 0)); then
  echo "run.sh: missing tools; install them with: apt-get install -y ${missing[*]}" >&2
  echo "        (then stop the nginx service Debian may start on port 80: service nginx stop)" >&2
  exit 2
fi
if [[ -z ${EDGE_DIR:-} || -z ${YARP_DIR:-} ]] && ! command -v dotnet >/dev/null; then
  echo "run.sh: dotnet (the .NET 10 SDK) is needed to publish the edge and bare-yarp, or set EDGE_DIR and YARP_DIR to published ones" >&2
  exit 2
fi

# origins, origin a over TLS, origins' counters; nginx, haproxy, edge: http, https, metrics/admin; bare YARP: http, https
ports=(27101 27102 27103 27104 27180 27143 27191 27280 27243 27291 27380 27343 27391 27480 27443)
for port in "${ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run.sh: 127.0.0.1:$port is already in use (a system nginx or haproxy? service nginx stop; service haproxy stop)" >&2
    exit 2
  fi
done

# --- processes -------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/edge-compare.XXXXXX")
chmod 711 "$work" # nginx's workers (www-data) read the origins' 64k file below it
groups=() # process group ids: each server runs in its own session (setsid), so its workers die with it
cleanup() {
  local status=$? pg
  for pg in "${groups[@]}"; do kill -TERM -- "-$pg" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pg in "${groups[@]}"; do kill -0 -- "-$pg" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pg in "${groups[@]}"; do kill -KILL -- "-$pg" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ ${KEEP_WORK:-0} == 1 || $status -ne 0 ]]; then echo "run.sh: logs kept in $work" >&2; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # $1 = name; the rest: the command. Sets pgid[$1].
  local name=$1
  shift
  setsid "$@" >"$work/$name.out" 2>&1 </dev/null &
  pgid[$name]=$!
  groups+=("$!")
}
declare -A pgid

wait_for() { # $1 = name, $2 = url: polls for up to 30 s
  for _ in $(seq 1 300); do
    curl -skf -o /dev/null --max-time 1 "$2" && return 0
    kill -0 "${pgid[$1]}" 2>/dev/null || { echo "run.sh: $1 exited; its output:" >&2; cat "$work/$1.out" >&2; exit 1; }
    sleep 0.1
  done
  echo "run.sh: $1 did not answer $2 within 30 s; its output:" >&2
  cat "$work/$1.out" >&2
  exit 1
}

start_time=$(date +%s)
if [[ -n ${EDGE_DIR:-} ]]; then
  edge_dir=$EDGE_DIR
else
  echo "== publishing the edge (Release, ReadyToRun, as the container image ships it)"
  bash deploy/publish.sh "$work/edge" >"$work/publish.out" 2>&1 \
    || { cat "$work/publish.out" >&2; exit 1; }
  edge_dir=$work/edge
fi
[[ -x $edge_dir/edge ]] || { echo "run.sh: no edge program in $edge_dir" >&2; exit 2; }
if [[ -n ${YARP_DIR:-} ]]; then
  yarp_dir=$YARP_DIR
else
  echo "== publishing bare-yarp (Release, ReadyToRun, the same YARP and runtime settings)"
  EDGE_PROJECT="$here/bare-yarp/BareYarp.csproj" bash deploy/publish.sh "$work/bare-yarp" >"$work/publish-yarp.out" 2>&1 \
    || { cat "$work/publish-yarp.out" >&2; exit 1; }
  yarp_dir=$work/bare-yarp
fi
[[ -x $yarp_dir/bare-yarp ]] || { echo "run.sh: no bare-yarp program in $yarp_dir" >&2; exit 2; }

echo "== certificate, origins, nginx, haproxy, bare YARP, edge (work dir $work)"
mkdir -p "$work/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" 2>/dev/null
cat "$work/tls/cert.pem" "$work/tls/key.pem" >"$work/tls/bundle.pem"

for name in origins nginx; do
  mkdir -p "$work/$name/tmp" "$work/$name/html"
  cp "$here/$name.conf" "$work/$name/"
  ln -s "$work/tls" "$work/$name/tls"
done
head -c 65536 /dev/zero | tr '\0' 'x' >"$work/origins/html/64k"

start origins nginx -p "$work/origins/" -c "$work/origins/origins.conf" -e "$work/origins/error.log" -g 'daemon off;'
wait_for origins http://127.0.0.1:27101/health
wait_for origins http://127.0.0.1:27102/health
start nginx nginx -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" -g 'daemon off;'
wait_for nginx http://127.0.0.1:27180/backend/health
start haproxy env COMPARE_TMP="$work" haproxy -db -f "$here/haproxy.cfg"
wait_for haproxy http://127.0.0.1:27280/backend/health
edge_started=$(date +%s%N)
start edge env Edge__Listeners__Public="http://127.0.0.1:27380;https://127.0.0.1:27343" \
  Edge__Tls__Certificates__bench__CertificatePath="$work/tls/cert.pem" \
  Edge__Tls__Certificates__bench__KeyPath="$work/tls/key.pem" \
  DOTNET_CLI_TELEMETRY_OPTOUT=1 "$edge_dir/edge" --config "$here/edge.json"
wait_for edge http://127.0.0.1:27391/readyz
edge_startup_ms=$((($(date +%s%N) - edge_started) / 1000000))
# Bare YARP: one catch-all route to the same two origins, round robin, nothing else; so it is
# asked for / and /64k, not /backend/... (no prefix to strip). Same certificate, h2 by ALPN.
start yarp env Kestrel__Endpoints__Http__Url=http://127.0.0.1:27480 Kestrel__Endpoints__Https__Url=https://127.0.0.1:27443 \
  Kestrel__Endpoints__Https__Certificate__Path="$work/tls/cert.pem" Kestrel__Endpoints__Https__Certificate__KeyPath="$work/tls/key.pem" \
  DOTNET_CLI_TELEMETRY_OPTOUT=1 "$yarp_dir/bare-yarp" http://127.0.0.1:27101/ http://127.0.0.1:27102/
wait_for yarp http://127.0.0.1:27480/health

targets=(direct nginx haproxy yarp edge)
declare -A h1=([direct]=http://127.0.0.1:27101 [nginx]=http://127.0.0.1:27180/backend
  [haproxy]=http://127.0.0.1:27280/backend [yarp]=http://127.0.0.1:27480 [edge]=http://127.0.0.1:27380/backend)
declare -A h2=([direct]=https://127.0.0.1:27103 [nginx]=https://127.0.0.1:27143/backend
  [haproxy]=https://127.0.0.1:27243/backend [yarp]=https://127.0.0.1:27443 [edge]=https://127.0.0.1:27343/backend)
declare -A process=([direct]='' [nginx]=nginx [haproxy]=haproxy [yarp]=yarp [edge]=edge) # whose CPU and memory count

echo "== checking every target answers the same bodies"
for target in "${targets[@]}"; do
  size=$(curl -sf "${h1[$target]}/" -o /dev/null -w '%{size_download}' || true)
  big=$(curl -sf "${h1[$target]}/64k" -o /dev/null -w '%{size_download}' || true)
  version=$(curl -skf --http2 "${h2[$target]}/" -o /dev/null -w '%{http_version}' || true)
  [[ $size == 19 && $big == 65536 && $version == 2 ]] \
    || { echo "run.sh: $target answered $size and $big bytes and HTTP/$version (want 19, 65536, 2)" >&2; exit 1; }
  if [[ $target != direct ]]; then
    pair=$(curl -sf "${h1[$target]}/" "${h1[$target]}/" | sort -u | wc -l || true)
    ((pair == 2)) || { echo "run.sh: $target sent two requests in a row to the same origin (want round robin)" >&2; exit 1; }
  fi
done

# --- measurement ---------------------------------------------------------------------------
points=(h1-c16 h1-c64 h1-c256 h1-64k-c64 h2-tls)
hz=$(getconf CLK_TCK)

members() { [[ -n $1 ]] && pgrep -g "${pgid[$1]}" || true; } # every process of a server (nginx: master and workers)
cpu_ticks() { # user + system clock ticks of every process of $1
  local total=0 pid
  for pid in $(members "$1"); do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
  echo "$total"
}
reset_peak() { local pid; for pid in $(members "$1"); do echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || peak_reset=0; done; }
peak_kb() { # summed VmHWM of every process of $1
  local total=0 pid
  for pid in $(members "$1"); do total=$((total + $(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status"))); done
  echo "$total"
}
peak_reset=1
origin_accepts() { curl -sf --max-time 2 http://127.0.0.1:27104/status | awk 'NR == 3 { print $1 }'; }

load() { # $1 = point, $2 = target, $3 = seconds; prints the load generator's output
  local url=${h1[$2]}
  # A load generator that outlives its duration by 30 s is killed: h2load's timing mode was seen
  # to run on for half an hour on an overloaded machine. Its point then parses as 0 req/s.
  local bound=(timeout -k 5 $(($3 + 30)))
  case $1 in
    h1-c16) "${bound[@]}" wrk -t"$THREADS" -c16 -d"$3s" --latency "$url/" ;;
    h1-c64) "${bound[@]}" wrk -t"$THREADS" -c64 -d"$3s" --latency "$url/" ;;
    h1-c256) "${bound[@]}" wrk -t"$THREADS" -c256 -d"$3s" --latency "$url/" ;;
    h1-64k-c64) "${bound[@]}" wrk -t"$THREADS" -c64 -d"$3s" --latency "$url/64k" ;;
    h2-tls) "${bound[@]}" h2load -t"$THREADS" -c"$H2_CLIENTS" -m"$H2_STREAMS" -D"$3" ${4:+--log-file="$4"} "${h2[$2]}/" ;;
  esac
}

# wrk: "Requests/sec: N", "N requests in", "50%  1.2ms", "99%  3.4ms", errors; h2load: "finished in
# Xs, N req/s", "requests: ... N done, N succeeded", and per-request microseconds in its log file.
parse_wrk() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec:/ { rps = $2 } / requests in / { n = $1 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { errors += $5 }
    END { printf "%s %.3f %.3f %d %d\n", rps, p50, p99, n, errors }'
}
parse_h2load() { # $1 = log file
  local summary
  summary=$(awk '/^finished in/ { gsub(/,/, ""); rps = $4 } /^requests:/ { done = $6; ok = $8 }
    END { printf "%s %d %d\n", rps, done, done - ok }')
  read -r rps n errors <<<"$summary"
  read -r p50 p99 < <(awk -F'\t' '{ print $3 }' "$1" | sort -n | awk '{ v[NR] = $1 }
    END { if (NR == 0) { print "0 0"; exit } i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1;
          printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }')
  echo "$rps $p50 $p99 $n $errors"
}

measure() { # $1 = point, $2 = target; appends one line to results.tsv
  local point=$1 target=$2 proc=${process[$2]} before after accepts_before accepts_after output line log=$work/h2load.log
  load "$point" "$target" "$WARMUP" >/dev/null 2>&1 || true
  [[ -n $proc ]] && reset_peak "$proc"
  before=$(cpu_ticks "$proc")
  accepts_before=$(origin_accepts)
  rm -f "$log"
  output=$(load "$point" "$target" "$DURATION" "$log" 2>&1) || { echo "run.sh: $point against $target failed:" >&2; echo "$output" >&2; exit 1; }
  after=$(cpu_ticks "$proc")
  accepts_after=$(origin_accepts)
  if [[ $point == h2-tls ]]; then line=$(parse_h2load "$log" <<<"$output"); else line=$(parse_wrk <<<"$output"); fi
  read -r rps p50 p99 n errors <<<"$line"
  local cpu=NA peak=NA
  if [[ -n $proc ]]; then
    cpu=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.2f", n ? t / hz * 1000 * 1000 / n : 0 }')
    peak=$(peak_kb "$proc")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$point" "$target" "$rps" "$p50" "$p99" "$n" "$errors" "$cpu" "$peak" \
    "$((accepts_after - accepts_before - 1))" >>"$work/results.tsv"
  printf '  round %s %-11s %-8s %10s req/s  p50 %7s ms  p99 %8s ms  errors %s  cpu %s ms/1000 req  peak rss %s kB  origin conns %s\n' \
    "$round" "$point" "$target" "$rps" "$p50" "$p99" "$errors" "$cpu" "$peak" "$((accepts_after - accepts_before - 1))"
}

printf 'round\tpoint\ttarget\trps\tp50_ms\tp99_ms\trequests\terrors\tcpu_ms_per_1000\tpeak_rss_kb\torigin_connections\n' >"$work/results.tsv"
echo "== first warm-up: ${FIRST_WARMUP}s of HTTP/1.1 and of HTTP/2 per target (JIT, connection pools)"
for target in "${targets[@]}"; do
  load h1-c64 "$target" "$FIRST_WARMUP" >/dev/null 2>&1 || true
  load h2-tls "$target" "$FIRST_WARMUP" >/dev/null 2>&1 || true
done

load_start=$(date +%s)
for round in $(seq 1 "$REPEATS"); do
  echo "== round $round of $REPEATS"
  for i in "${!points[@]}"; do
    shift_by=$(((round - 1 + i) % ${#targets[@]}))
    order=("${targets[@]:shift_by}" "${targets[@]:0:shift_by}")
    for target in "${order[@]}"; do measure "${points[$i]}" "$target"; done
  done
done
end_time=$(date +%s)

# --- report ----------------------------------------------------------------------------------
mkdir -p "$OUT"
cp "$work/results.tsv" "$OUT/results.tsv"
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "command=$command_line"
  echo "nproc=$(nproc)"
  echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "kernel=$(uname -sr)"
  echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "nginx=$(nginx -v 2>&1 | sed 's/^nginx version: //')"
  echo "haproxy=$(haproxy -v | awk 'NR == 1 { print $3 }')"
  echo "wrk=$(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
  echo "h2load=$(h2load --version | awk '{ print $2 }')"
  echo "openssl=$(openssl version | awk '{ print $2 }')"
  echo "dotnet=$(dotnet --version 2>/dev/null || echo unknown) (ASP.NET Core runtime $(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.AspNetCore.App/ { v = $2 } END { print v }'))"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "duration=$DURATION"
  echo "warmup=$WARMUP"
  echo "repeats=$REPEATS"
  echo "threads=$THREADS"
  echo "h2=$H2_CLIENTS x $H2_STREAMS"
  echo "peak_reset=$peak_reset"
  echo "edge_startup_ms=$edge_startup_ms"
  echo "elapsed=$((end_time - start_time))"
  echo "load_elapsed=$((end_time - load_start))"
} >"$work/meta.txt"
python3 "$here/report.py" "$work/results.tsv" "$work/meta.txt" "$OUT/report.md" "$OUT/report.svg"
echo "== wrote $OUT/report.md and $OUT/report.svg ($((end_time - start_time)) s)"
