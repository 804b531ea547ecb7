#!/usr/bin/env bash
# EdgeGateway benchmarks (docs/BENCHMARKS.md). Builds in Release, then runs every scenario side by side with its
# baseline: keystroke latency, terminal bytes, fan-out, scale of one node, dead devices, joint sessions (admin terminate),
# appliance footprint, codec.
#
#   scripts/bench.sh            full run (~20-30 min on 2 cores; publishes the appliance's R2R/trimmed/AOT variants)
#   scripts/bench.sh --quick    every scenario, small (under two minutes): asserts each one produced numbers
#   scripts/bench.sh --only keystroke,fanout    some scenarios (ids: keystroke bytes fanout scale display field joint pairing footprint codec)
#   scripts/bench.sh --profile --only keystroke,fanout    also perf profiles (results/…/profile/); its timings are perturbed
#
# Prints the table; writes results/<date>-<mode>/ (results.json, table.md, table.txt, ratios.svg, latency.svg,
# samples/, logs/, codec/). Run as root on Debian 12 (the SSH device is a real sshd with a throwaway account).
# Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
echo "== build (Release)"
dotnet build EdgeGateway.sln -c Release --nologo -v quiet -clp:ErrorsOnly

# The scale scenario holds thousands of TLS connections in this process and in the cloud's: raise the soft limit
# on open files to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --profile: managed frames get names in perf through the runtime's perf map (inherited by the cloud process);
# W^X off, or JIT'd code sits in a double-mapped memfd that perf cannot match with the map.
for arg in "$@"; do
  if [[ $arg == --profile ]]; then export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0; fi
done

echo "== bench"
exec dotnet bench/EdgeGateway.Bench/bin/Release/net10.0/EdgeGateway.Bench.dll "$@"
