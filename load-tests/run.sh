#!/usr/bin/env bash
# Every load test against a local stack (the published edge, Kestrel origins on loopback inside
# the runner): steady load, overload (shedding and quotas), an origin killed mid-run, 50 config
# reloads under load, canary rollouts under load. Writes load-tests/report.md and report.svg;
# exits non-zero when a threshold is missed. Loopback only; every load is bounded and stops by itself.
#
#   load-tests/run.sh                    # full run, about 3 minutes
#   load-tests/run.sh --smoke            # every test, short (under a minute; what CI runs)
#   load-tests/run.sh --only overload    # some of them (edge-load list names them)
#   REPORT=/tmp/r.md CHART=/tmp/r.svg load-tests/run.sh
#
# The long runs are not in the default set; name them (their report: load-tests/longruns-report.md):
#   load-tests/run.sh --soak [--ci]      # 30 min at half the measured maximum (--ci: 3 min)
#   load-tests/run.sh --chaos [--ci]     # 5 min of origin kills and an edge restart (--ci: 75 s)
#   load-tests/run.sh --soak --chaos --ci
#   load-tests/run.sh --soak --duration 00:10:00
set -euo pipefail
cd "$(dirname "$0")/.."

args=() long=()
for arg in "$@"; do
  case $arg in
    --soak) long+=(soak) ;;
    --chaos) long+=(chaos) ;;
    --ci) args+=(--smoke) ;;
    *) args+=("$arg") ;;
  esac
done
if ((${#long[@]} > 0)); then
  args+=(--only "$(IFS=,; echo "${long[*]}")")
  : "${REPORT:=load-tests/longruns-report.md}" "${CHART:=load-tests/longruns-report.svg}"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== publishing edge and building the load runner (Release)" >&2
dotnet publish src/Edge.Proxy -c Release -o "$work/edge" --nologo -v quiet >/dev/null
dotnet build load-tests/Edge.LoadTests -c Release -o "$work/load" --nologo -v quiet >/dev/null

if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  # The edge (a child of the runner) gets core 0, the runner's clients and origins the rest, so
  # the two do not fight over one core.
  edge="$work/edge-pinned"
  printf '#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' "$work/edge/edge" >"$edge"
  chmod +x "$edge"
  runner=(taskset -c "1-$(($(nproc) - 1))")
else
  edge="$work/edge/edge"
  runner=()
fi

"${runner[@]}" dotnet "$work/load/edge-load.dll" run --edge "$edge" \
  --report "${REPORT:-load-tests/report.md}" --chart "${CHART:-load-tests/report.svg}" ${args[@]+"${args[@]}"}
