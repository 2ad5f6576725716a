#!/usr/bin/env bash
# Overload scenario for quotas and load shedding: an origin that serves 200 requests/s behind
# the edge, loaded at 0.5x and then 3x its capacity, plus edge CPU per proxied and per refused
# request. Loopback only; about a minute. Writes the report to load-tests/overload-report.md
# (or $REPORT) and exits non-zero when a threshold does not hold.
#
#   load-tests/overload.sh            # 10 s per step
#   SECONDS_PER_STEP=20 load-tests/overload.sh
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== publishing edge and the load runner (Release)"
dotnet publish src/Edge.Proxy -c Release -o "$work/edge" --nologo -v quiet >/dev/null
dotnet build load-tests/Edge.LoadTests -c Release -o "$work/load" --nologo -v quiet >/dev/null

if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  # The edge (a child of the runner) is pinned by the runner's own wrapper below: core 0 for it,
  # the rest for the runner's clients and origin, so the two do not fight over one core.
  wrapper="$work/edge-pinned"
  printf '#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' "$work/edge/edge" >"$wrapper"
  chmod +x "$wrapper"
  runner=(taskset -c "1-$(($(nproc) - 1))")
else
  wrapper="$work/edge/edge"
  runner=()
fi

"${runner[@]}" dotnet "$work/load/edge-load.dll" overload --edge "$wrapper" \
  --seconds "${SECONDS_PER_STEP:-10}" --report "${REPORT:-load-tests/overload-report.md}"
