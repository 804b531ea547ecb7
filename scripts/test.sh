#!/usr/bin/env bash
# Runs every test: unit tests, end-to-end tests against real servers, and the real-browser test.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Area=Ssh]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
echo "== build"
dotnet build EdgeGateway.sln -c Release --nologo -v quiet -clp:ErrorsOnly

echo "== test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test EdgeGateway.sln -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for every assembly together, in the plain form CI reads.
awk '
  /(Passed|Failed)!  *- *Failed: *[0-9]+, *Passed: *[0-9]+, *Skipped: *[0-9]+/ {
    line = $0
    gsub(/[^0-9,]/, " ", line)
    split(line, n, ",")
    failed += n[1] + 0; passed += n[2] + 0; skipped += n[3] + 0; seen = 1
  }
  END {
    if (seen) printf "Tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped
    else print "Tests: no test summary found"
  }' "$log"
exit "$status"
