#!/usr/bin/env bash
# Prepares an arm64 (Raspberry Pi OS bookworm / Debian 12) sysroot with the headers and libraries the appliance's
# native RDP helper links against, for cross-compiling on an x64 Debian machine. Prints the sysroot's path.
#
# How: apt resolves freerdp2-dev for arm64 from the machine's own Debian sources into a private apt state (its own
# lists, cache and an empty dpkg status, so the host's package database is never touched and no arm64 architecture
# is added to it), downloads the .debs and unpacks them with dpkg -x. No root file system is booted and nothing runs
# under emulation (the debootstrap + qemu route takes minutes; this takes about 20 s, then nothing when present).
# Usage: image-build/arm64-sysroot.sh [DIR]   (default: artifacts/arm64-sysroot; the root is DIR/root)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-artifacts/arm64-sysroot}
packages=(freerdp2-dev libc6-dev)
stamp="$dir/.edgegateway-sysroot"
want="bookworm arm64 ${packages[*]}"
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  realpath "$dir/root"
  exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/root"
touch "$dir/apt/status"
apt=(apt-get -qq
  -o "Dir::State=$PWD/$dir/apt" -o "Dir::State::status=$PWD/$dir/apt/status" -o "Dir::Cache=$PWD/$dir/apt/cache"
  -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o APT::Install-Recommends=false -o Debug::NoLocking=1)
"${apt[@]}" update >&2
"${apt[@]}" install --download-only -y "${packages[@]}" >&2
for deb in "$dir"/apt/cache/archives/*.deb; do
  dpkg -x "$deb" "$dir/root"
done
rm -rf "$dir/apt/cache/archives"
echo "$want" >"$stamp"
realpath "$dir/root"
