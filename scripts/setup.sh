#!/usr/bin/env bash
# Prepares a Debian 12 machine (as root) to build EdgeGateway, run its tests and the demo. Idempotent, and
# fast when everything is already there: apt runs only for a missing package, restore only when a project
# file changed or a package left the NuGet cache.
#
# Debian packages, each for a reason (nothing else, no recommends):
#   openssh-server   sshd and ssh-keygen: the SSH device in the tests (SshServer) and the demo
#   libvterm0        the appliance's terminal emulator (libvterm.so.0, loaded at run time)
#   chromium         the real-browser test; Playwright drives /usr/bin/chromium and never downloads one
#                    (fonts come with it: libfontconfig1 -> fontconfig-config -> fonts-dejavu-core)
#   ca-certificates  TLS to the NuGet and npm registries
#   curl             demo.sh waits for the cloud's /readyz with it
#   procps           ps and top in the device's shell (what a demo user types; the benchmarks run top -d 1)
#   passwd           useradd, chpasswd, userdel for the throwaway device accounts (always present on Debian;
#                    listed because the tests and the demo depend on it)
#   tigervnc-standalone-server tigervnc-tools   Xvnc and vncpasswd: the VNC device in the tests (VncServer)
#   x11vnc xvfb      a second VNC server implementation on a virtual X screen (RFB 3.3 forced in one test)
#   x11-apps x11-utils x11-xserver-utils   xwd (ground-truth pixels), xwininfo, xsetroot, xmessage for the VNC tests
#   xterm xdotool    X clients the VNC tests type into and query
#   xclip            reads and sets the device's clipboard in the VNC clipboard test
#   python3-aiosmtpd the SMTP server the e-mail invitation tests start on loopback (SmtpSink)
#   gcc make pkg-config freerdp2-dev   build the appliance's RDP helper (appliance/Native/rdp) against FreeRDP 2;
#                    the solution's build runs make; libfreerdp2-2 and libfreerdp-client2-2 come with the -dev package
#   freerdp2-shadow-x11  freerdp-shadow-cli: the RDP device in the tests (RdpServer, NLA on an Xvfb screen)
#   winpr-utils      winpr-hash: the SAM file (NTLM hash) the shadow server checks the test account against
#   gcc-aarch64-linux-gnu qemu-user-static   the RDP helper cross-built for linux-arm64 (the Raspberry Pi image)
#                    and started under emulation: image-build/build-native-arm64.sh, run by scripts/test.sh
# Not from apt here: the .NET 10 SDK and Node.js >= 20 with npm come with the machine image; this script
# only checks them.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(openssh-server libpam-oath libvterm0 chromium ca-certificates curl procps passwd
  tigervnc-standalone-server tigervnc-tools x11vnc xvfb x11-apps x11-utils x11-xserver-utils xterm xdotool xclip python3-aiosmtpd
  gcc make pkg-config freerdp2-dev freerdp2-shadow-x11 winpr-utils gcc-aarch64-linux-gnu qemu-user-static)
started=$EPOCHREALTIME

say() { printf 'setup: %s\n' "$*"; }
fail() {
  printf 'setup: %s\n' "$*" >&2
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  fail "run as root: it installs Debian packages, and the tests create throwaway system users"
fi

# 1. Debian packages: apt only for what is missing.
installed=" $(dpkg-query -W -f='${Package}=${Status} ' "${packages[@]}" 2>/dev/null || true)"
missing=()
for package in "${packages[@]}"; do
  if [[ $installed != *" $package=install ok installed "* ]]; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  say "packages: all ${#packages[@]} present (${packages[*]})"
else
  say "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  say "packages: installed ${missing[*]}"
fi

# 2. Toolchains the image provides.
if ! command -v dotnet >/dev/null; then
  fail "dotnet not found: install the .NET 10 SDK (the machine image provides it; apt cannot here)"
fi
sdk=$(dotnet --list-sdks | awk '$1 ~ /^10\./ { v = $1 } END { print v }')
if [[ -z $sdk ]]; then
  fail "no .NET 10 SDK: dotnet lists only: $(dotnet --list-sdks | awk '{ print $1 }' | paste -sd ' ' -)"
fi
say "dotnet: SDK $sdk"

missing_tools=()
command -v node >/dev/null || missing_tools+=(node)
command -v npm >/dev/null || missing_tools+=(npm)
if ((${#missing_tools[@]} > 0)); then
  fail "not found: ${missing_tools[*]}; install Node.js >= 20 with npm (the machine image provides it; the cloud's web client needs it)"
fi
node_version=$(node --version)
node_major=${node_version#v}
node_major=${node_major%%.*}
if ((node_major < 20)); then
  fail "node $node_version is too old: cloud/web needs >= 20"
fi
say "node: $node_version, npm: $(command -v npm)"

# 3. sshd's privilege-separation directory: sshd refuses to start without it, even on a high port.
install -d -m 0755 /run/sshd
say "/run/sshd: present"

# 4. NuGet restore, skipped when every project's restore is newer than every file that feeds it and the
#    packages it resolved are still in the global packages folder. NuGet does not touch its outputs on a
#    no-op restore, so this script keeps its own stamp next to them.
export DOTNET_CLI_TELEMETRY_OPTOUT=${DOTNET_CLI_TELEMETRY_OPTOUT:-1} DOTNET_NOLOGO=${DOTNET_NOLOGO:-1}
mapfile -t projects < <(sed -n -e 's|\\|/|g' -e 's/^Project("[^"]*") = "[^"]*", "\([^"]*\.csproj\)".*/\1/p' EdgeGateway.sln)
stamp_name=.setup-restore.stamp

restore_is_fresh() {
  local project obj file oldest=""
  for project in "${projects[@]}"; do
    obj=$(dirname "$project")/obj
    [[ -f $obj/$stamp_name && -f $obj/project.assets.json && -f $obj/project.nuget.cache ]] || return 1
    while IFS= read -r file; do
      [[ -f $file ]] || return 1
    done < <(grep -o '"/[^"]*\.nupkg\.sha512"' "$obj/project.nuget.cache" | tr -d '"')
    if [[ -z $oldest || $obj/$stamp_name -ot $oldest ]]; then
      oldest=$obj/$stamp_name
    fi
  done
  # Any project, props, targets, NuGet.config, global.json or the solution changed since the oldest stamp.
  [[ -z $(find . \( -name bin -o -name obj -o -name node_modules -o -name .git \) -prune -o -type f \
    \( -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -iname nuget.config -o -name global.json -o -name '*.sln' \) \
    -newer "$oldest" -print -quit) ]]
}

if restore_is_fresh; then
  say "restore: up to date (${#projects[@]} projects)"
else
  say "restore: dotnet restore EdgeGateway.sln"
  dotnet restore EdgeGateway.sln --nologo -v quiet
  for project in "${projects[@]}"; do
    touch "$(dirname "$project")/obj/$stamp_name"
  done
  say "restore: done (${#projects[@]} projects)"
fi

elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
say "ready in ${elapsed} s"
