#!/usr/bin/env bash
# The overload load test alone (quotas and load shedding: an origin that serves 200 requests/s
# behind the edge, loaded at 0.5x and then 3x its capacity, a rate-limited route at 3x its quota,
# and edge CPU per proxied and per refused request). About a minute. Writes
# load-tests/overload-report.md (or $REPORT) and exits non-zero when a threshold does not hold.
#
#   load-tests/overload.sh
#   load-tests/overload.sh --smoke
set -euo pipefail
cd "$(dirname "$0")/.."
REPORT=${REPORT:-load-tests/overload-report.md} CHART=${CHART:-load-tests/overload-report.svg} \
  exec load-tests/run.sh --only overload "$@"
