#!/usr/bin/env bash
# Publishes the `edge` program the way the container image ships it. The Dockerfile and the tests
# both run this script, so the image and what CI checks cannot drift apart.
#
#   deploy/publish.sh restore            restore only (the Dockerfile's cached restore layer)
#   deploy/publish.sh publish OUT_DIR    publish into OUT_DIR (after a restore)
#   deploy/publish.sh OUT_DIR            both
#
# EDGE_RID picks the runtime (default linux-x64; linux-arm64 for arm64 hosts). EDGE_PROJECT publishes
# another project the same way (deploy/nginx-compare/run.sh: its bare YARP baseline).
#
# Framework-dependent (the image's ASP.NET Core runtime runs it), ReadyToRun (ahead-of-time
# compiled, so the edge and every `edge healthcheck` start faster): that needs the runtime packs
# and crossgen2 for the SDK's runtime version from NuGet, which the restore fetches.
set -euo pipefail
cd "$(dirname "$0")/.."

rid=${EDGE_RID:-linux-x64}
project=${EDGE_PROJECT:-src/Edge.Proxy/Edge.Proxy.csproj}
# The properties restore and publish must agree on (the runtime-specific assets and packs).
props=(-r "$rid" -p:SelfContained=false -p:PublishReadyToRun=true)

restore() {
  dotnet restore "$project" "${props[@]}" --disable-build-servers
}

publish() {
  local out=$1
  # No --no-restore: when the cache mount was emptied under a cached restore layer, this restores
  # again; otherwise it is a no-op.
  dotnet publish "$project" -c Release "${props[@]}" --disable-build-servers \
    -p:SatelliteResourceLanguages=en -o "$out"
}

case "${1:-}" in
  restore) restore ;;
  publish) [[ $# -eq 2 ]] || { echo "usage: $0 publish OUT_DIR" >&2; exit 2; }; publish "$2" ;;
  "" | -h | --help) sed -n '2,9p' "$0" >&2; exit 2 ;;
  *) [[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }; restore; publish "$1" ;;
esac
