#!/usr/bin/env bash
# Runs every test: unit tests, end-to-end tests against real servers, the real-browser tests and the web client's unit tests.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Area=Ssh]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
echo "== build"
dotnet build EdgeGateway.sln -c Release --nologo -v quiet -clp:ErrorsOnly

# The native part for the Raspberry Pi (linux-arm64): cross-built and started under qemu. Not when the caller narrows
# the run with dotnet test arguments.
if [ "$#" -eq 0 ]; then
  echo "== arm64 build of the RDP helper"
  image-build/build-native-arm64.sh
fi

echo "== test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test EdgeGateway.sln -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The browser client's own unit tests (display frame decoding, keysyms, frame codec), with Node.js; not when the
# caller narrows the run with dotnet test arguments.
if [ "$#" -eq 0 ]; then
  echo "== web tests (cloud/web: node --test)"
  (cd cloud/web && npm test --silent) 2>&1 | tail -n 9
  web_status=${PIPESTATUS[0]}
  if [ "$web_status" -ne 0 ]; then
    echo "web tests failed"
    status=$web_status
  fi
fi
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
