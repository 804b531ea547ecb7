#!/usr/bin/env bash
# EdgeGateway demo on 127.0.0.1: the cloud (embedded MQTT broker over TLS, SQLite), one appliance connected
# to it over MQTT 5 / mutual TLS, and three real devices: an SSH device (an OpenSSH server on a loopback port with its
# own configuration and a throwaway account), a VNC panel (TigerVNC's Xvnc with a password) and a Windows-like RDP
# desktop (FreeRDP's shadow server with NLA on an Xvfb screen), each showing an xterm. Runs until Ctrl+C, then removes
# everything it created. Run as root on Debian 12 (it installs packages and creates the throwaway account).
# Ports: EG_HTTPS_PORT (8443), EG_MQTT_PORT (8883), EG_SSH_PORT (2222), EG_VNC_PORT (5951), EG_RDP_PORT (3389).
# The appliance starts factory-fresh and pairs (issue 13): it shows a code, and the demo approves it through the API as
# a field engineer would. EG_PAIR_IN_BROWSER=1 leaves that to you: type the code under Appliances > Add appliance.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

https_port=${EG_HTTPS_PORT:-8443}
mqtt_port=${EG_MQTT_PORT:-8883}
ssh_port=${EG_SSH_PORT:-2222}
vnc_port=${EG_VNC_PORT:-5951}
rdp_port=${EG_RDP_PORT:-3389}

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: run as root (it installs packages and creates a throwaway device account)" >&2
  exit 1
fi

for port in "$https_port" "$mqtt_port" "$ssh_port" "$vnc_port" "$rdp_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "demo.sh: port $port on 127.0.0.1 is in use; pick others with EG_HTTPS_PORT, EG_MQTT_PORT, EG_SSH_PORT, EG_VNC_PORT, EG_RDP_PORT" >&2
    exit 1
  fi
done

scripts/setup.sh
echo "== build (Release)"
dotnet build EdgeGateway.sln -c Release --nologo -v quiet -clp:ErrorsOnly

demo=""
device_user=""
pids=()

cleanup() {
  trap - EXIT INT TERM
  echo
  echo "== stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n $device_user ]]; then userdel -r "$device_user" >/dev/null 2>&1 || true; fi
  if [[ -n $demo ]]; then rm -rf "$demo"; fi
  echo "removed the device account $device_user (and its home), and $demo"
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

demo=$(mktemp -d /tmp/edgegateway-demo.XXXXXX)
# (pipefail off inside: head closing the pipe early is how these end.)
device_user="egdemo$(set +o pipefail; tr -dc 'a-z0-9' </dev/urandom | head -c 6)"
device_password=$(set +o pipefail; tr -dc 'A-Za-z0-9' </dev/urandom | head -c 16)

echo "== device: OpenSSH on 127.0.0.1:$ssh_port, account $device_user"
mkdir -p "$demo/sshd" && chmod 700 "$demo/sshd"
# The home goes where useradd puts it (/home/USER, owned by the account): inside "$demo" (mktemp -d, mode 0700, root's)
# the account could not enter it, and every login opened with "Could not chdir to home directory" in "/".
useradd --create-home --shell /bin/bash "$device_user"
echo "$device_user:$device_password" | chpasswd
ssh-keygen -q -t ed25519 -N '' -f "$demo/sshd/host_key"
cat >"$demo/sshd/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $ssh_port
HostKey $demo/sshd/host_key
PidFile $demo/sshd/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $device_user
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
CFG
/usr/sbin/sshd -t -f "$demo/sshd/sshd_config"
/usr/sbin/sshd -D -e -f "$demo/sshd/sshd_config" 2>"$demo/sshd/log" &
pids+=($!)
host_key=$(ssh-keygen -lf "$demo/sshd/host_key.pub" | awk '{print $2}')

# A free X display number (no lock file, no socket) for each screen.
free_display() {
  local n
  for n in $(seq "$1" 99); do
    if [[ ! -e /tmp/.X$n-lock && ! -e /tmp/.X11-unix/X$n ]]; then echo "$n"; return; fi
  done
  echo "demo.sh: no free X display from :$1" >&2
  exit 1
}

echo "== device: VNC panel (Xvnc, VNC authentication) on 127.0.0.1:$vnc_port"
vnc_password=$(set +o pipefail; tr -dc 'A-Za-z0-9' </dev/urandom | head -c 8)
mkdir -p "$demo/vnc" && chmod 700 "$demo/vnc"
printf '%s\n' "$vnc_password" | vncpasswd -f >"$demo/vnc/passwd"
vnc_display=$(free_display 51)
Xvnc ":$vnc_display" -geometry 1024x768 -depth 24 -rfbport "$vnc_port" -localhost -AlwaysShared -desktop "HMI panel" -SecurityTypes VncAuth \
  -PasswordFile "$demo/vnc/passwd" -nolisten tcp >"$demo/vnc/log" 2>&1 &
pids+=($!)

echo "== device: RDP desktop (FreeRDP shadow server, NLA) on 127.0.0.1:$rdp_port, account operator"
rdp_password=$(set +o pipefail; tr -dc 'A-Za-z0-9' </dev/urandom | head -c 16)
mkdir -p "$demo/rdp/home" && chmod 700 "$demo/rdp"
winpr-hash -u operator -p "$rdp_password" -f sam >"$demo/rdp/sam"
rdp_display=$(free_display $((vnc_display + 1)))
Xvfb ":$rdp_display" -screen 0 1280x800x24 -nolisten tcp -noreset >"$demo/rdp/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [[ -e /tmp/.X11-unix/X$rdp_display && -e /tmp/.X11-unix/X$vnc_display ]] && break; sleep 0.1; done
HOME="$demo/rdp/home" DISPLAY=":$rdp_display" WLOG_LEVEL=ERROR freerdp-shadow-cli /bind-address:127.0.0.1 "/port:$rdp_port" \
  +auth /sec:nla "/sam-file:$demo/rdp/sam" >"$demo/rdp/log" 2>&1 &
pids+=($!)
for display in "$vnc_display" "$rdp_display"; do
  DISPLAY=":$display" xsetroot -solid '#2f4f6f'
  DISPLAY=":$display" xterm -geometry 90x24+40+40 -e bash --norc >/dev/null 2>&1 &
  pids+=($!)
done

echo "== cloud: https://127.0.0.1:$https_port, MQTT/TLS on 127.0.0.1:$mqtt_port"
cloud_dll=cloud/bin/Release/net10.0/EdgeGateway.Cloud.dll
appliance_dll=appliance/bin/Release/net10.0/EdgeGateway.Appliance.dll
Cloud__DataDirectory="$demo/cloud" \
Cloud__Broker__BindAddress=127.0.0.1 \
Cloud__Broker__Port="$mqtt_port" \
  dotnet "$cloud_dll" --urls "https://127.0.0.1:$https_port" --contentRoot "$repo/cloud" --webroot "$repo/cloud/wwwroot" >"$demo/cloud.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 150); do
  if curl -fsS --cacert "$demo/cloud/pki/ca.pem" "https://127.0.0.1:$https_port/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[-1]}" 2>/dev/null; then echo "the cloud did not start:" >&2; cat "$demo/cloud.log" >&2; exit 1; fi
  sleep 0.2
done

echo "== appliance: factory-fresh, pairs with the cloud; endpoint 'demo-ssh' -> 127.0.0.1:$ssh_port (host key pinned)"
# It knows only the cloud's address and CA. OpenSSL's default trust is that CA alone (docs/ARCHITECTURE.md, "Appliance
# process"): the appliance trusts nothing else, and its first TLS connection does not load the system's public roots.
SSL_CERT_FILE="$demo/cloud/pki/ca.pem" SSL_CERT_DIR='' \
Appliance__StateDirectory="$demo/appliance-state" \
Appliance__Cloud__Address="https://127.0.0.1:$https_port" \
Appliance__Cloud__AuthorityPath="$demo/cloud/pki/ca.pem" \
Appliance__Endpoints__0__Id=demo-ssh \
Appliance__Endpoints__0__Name="Demo Linux box (SSH)" \
Appliance__Endpoints__0__Protocol=ssh \
Appliance__Endpoints__0__Host=127.0.0.1 \
Appliance__Endpoints__0__Port="$ssh_port" \
Appliance__Endpoints__0__HostKeySha256="$host_key" \
Appliance__Endpoints__1__Id=demo-vnc \
Appliance__Endpoints__1__Name="Demo HMI panel (VNC)" \
Appliance__Endpoints__1__Protocol=vnc \
Appliance__Endpoints__1__Host=127.0.0.1 \
Appliance__Endpoints__1__Port="$vnc_port" \
Appliance__Endpoints__1__AllowLegacyAlgorithms=true \
Appliance__Endpoints__2__Id=demo-rdp \
Appliance__Endpoints__2__Name="Demo Windows desktop (RDP)" \
Appliance__Endpoints__2__Protocol=rdp \
Appliance__Endpoints__2__Host=127.0.0.1 \
Appliance__Endpoints__2__Port="$rdp_port" \
  dotnet "$appliance_dll" >"$demo/appliance.log" 2>&1 &
pids+=($!)

code=""
for _ in $(seq 1 150); do
  code=$(dotnet "$appliance_dll" pair --status --Appliance:StateDirectory="$demo/appliance-state" | sed -n 's/^Waiting for approval. Pairing code: //p' || true)
  if [[ -n $code ]]; then break; fi
  if ! kill -0 "${pids[-1]}" 2>/dev/null; then echo "the appliance did not start:" >&2; cat "$demo/appliance.log" >&2; exit 1; fi
  sleep 0.2
done
if [[ -z $code ]]; then echo "the appliance showed no pairing code:" >&2; tail -n 20 "$demo/appliance.log" >&2; exit 1; fi
echo "   the appliance shows the pairing code $code"

admin_password=$(cat "$demo/cloud/initial-admin-password")
if [[ ${EG_PAIR_IN_BROWSER:-0} != 1 ]]; then
  echo "== pairing: approving $code as a field engineer would (POST /api/pairing/requests/$code/approve)"
  jar="$demo/cookies"
  curl -fsS --cacert "$demo/cloud/pki/ca.pem" -c "$jar" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}" "https://127.0.0.1:$https_port/api/auth/login" >/dev/null
  curl -fsS --cacert "$demo/cloud/pki/ca.pem" -b "$jar" "https://127.0.0.1:$https_port/api/pairing/requests/$code" |
    sed 's/^/   reported: /'
  echo
  curl -fsS --cacert "$demo/cloud/pki/ca.pem" -b "$jar" -H 'Content-Type: application/json' \
    -d '{"domainId":"default","site":"Demo site","name":"demo-appliance"}' "https://127.0.0.1:$https_port/api/pairing/requests/$code/approve" |
    sed 's/^/   approved: /'
  echo
  rm -f "$jar"
  for _ in $(seq 1 100); do
    if dotnet "$appliance_dll" pair --status --Appliance:StateDirectory="$demo/appliance-state" >/dev/null; then break; fi
    sleep 0.2
  done
  dotnet "$appliance_dll" pair --status --Appliance:StateDirectory="$demo/appliance-state" | sed 's/^/   /' || true
  pairing="The appliance is paired (Appliances shows its certificate's expiry; Revoke, Re-pair)."
else
  pairing="Pair the appliance: Appliances > Add appliance, code $code (it works for 10 minutes)."
fi

cat <<BANNER

  EdgeGateway demo is running.

  Open      https://127.0.0.1:$https_port   (the certificate is from the demo's own CA:
            $demo/cloud/pki/ca.pem — accept the browser warning or import that CA)
  Log in    admin / $admin_password   (one-time demo password)
  $pairing
  Connect   "Demo Linux box (SSH)" with device user $device_user and password $device_password
            "Demo HMI panel (VNC)" with the VNC password $vnc_password
            "Demo Windows desktop (RDP)" as operator with password $rdp_password (no domain)

  Logs      $demo/cloud.log, $demo/appliance.log, $demo/vnc/log, $demo/rdp/log
  Ctrl+C stops everything and removes the device account and $demo.

BANNER
wait -n "${pids[@]}" || true
echo "a demo process exited; see the logs above" >&2
tail -n 20 "$demo/cloud.log" "$demo/appliance.log" >&2 || true
