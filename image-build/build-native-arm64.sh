#!/usr/bin/env bash
# Cross-builds the appliance's native RDP helper (appliance/Native/rdp) for linux-arm64 (Raspberry Pi OS bookworm /
# Debian 12 arm64) on an x64 Debian machine, with the same Makefile and flags as the native build, and checks that
# the result is an AArch64 executable that loads and starts under qemu (when qemu-user-static is installed). scripts/test.sh runs it, so CI checks the arm64 build of the native part.
# Needs gcc-aarch64-linux-gnu (scripts/setup.sh) and the sysroot image-build/arm64-sysroot.sh prepares.
# Usage: image-build/build-native-arm64.sh [OUT_DIR]   (default: artifacts/linux-arm64)
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(realpath -m "${1:-artifacts/linux-arm64}")
root=$(image-build/arm64-sysroot.sh)
libs="$root/usr/lib/aarch64-linux-gnu"
export PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_LIBDIR=$libs/pkgconfig:$root/usr/share/pkgconfig
# FreeRDP's own dependencies (OpenSSL, zlib, …) are found through rpath-link, as the target's loader will find them.
make --no-print-directory -C appliance/Native/rdp OUT="$out" SYSROOT="$root" \
  CC="aarch64-linux-gnu-gcc -Wl,-rpath-link,$libs -Wl,-rpath-link,$root/lib/aarch64-linux-gnu" >&2

machine=$(LC_ALL=C readelf -h "$out/edgegateway-rdp" | awk -F: '/Machine:/ { gsub(/^ +/, "", $2); print $2 }')
if [[ $machine != AArch64 ]]; then
  echo "build-native-arm64: $out/edgegateway-rdp is for '$machine', not AArch64" >&2
  exit 1
fi
# Loaded under emulation against the sysroot's own arm64 libraries: every library it needs resolves, and it starts
# (and, with no start message on its standard input, exits on its own).
if command -v qemu-aarch64-static >/dev/null; then
  set +e
  loaded=$(qemu-aarch64-static -L "$root" "$out/edgegateway-rdp" </dev/null 2>&1)
  status=$?
  set -e
  if ((status == 126 || status == 127 || status > 128)) || [[ $loaded == *"error while loading shared libraries"* ]]; then
    echo "build-native-arm64: the arm64 helper does not run under qemu (exit $status): $loaded" >&2
    exit 1
  fi
fi
needed=$(LC_ALL=C readelf -d "$out/edgegateway-rdp" | awk '/NEEDED/ { gsub(/[][]/, "", $5); printf "%s ", $5 }')
echo "edgegateway-rdp for linux-arm64: $out/edgegateway-rdp ($(stat -c %s "$out/edgegateway-rdp") bytes; needs ${needed% })"
