#!/usr/bin/env bash
# Starts two tinyproxy instances on 127.0.0.1 (an open one that only allows
# CONNECT to the simulator's port, and one that wants Basic credentials), runs
# the proxy test binary ($1) against them, and stops them.
set -euo pipefail
test_bin=$1
command -v tinyproxy >/dev/null || { echo "tinyproxy is not installed (tools/ci/dx.sh setup installs it)" >&2; exit 1; }

work=$(mktemp -d)
chmod 777 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sim_port=$(free_port)
open_port=$(free_port)
auth_port=$(free_port)

user_lines=""
# tinyproxy drops root privileges to this user when started as root.
if [ "$(id -u)" -eq 0 ]; then user_lines=$'User nobody\nGroup nogroup'; fi

write_conf() {  # name port extra
  cat >"$work/$1.conf" <<CONF
$user_lines
Port $2
Listen 127.0.0.1
Timeout 30
MaxClients 64
LogFile "$work/$1.log"
LogLevel Connect
Allow 127.0.0.1
DisableViaHeader Yes
$3
CONF
  touch "$work/$1.log"
  chmod 666 "$work/$1.log"
}
# tinyproxy allows CONNECT to any port when no ConnectPort is given: the open
# proxy names the simulator's, so a CONNECT elsewhere is refused with 403.
write_conf open "$open_port" "ConnectPort $sim_port"
write_conf auth "$auth_port" "BasicAuth aiven s3cr3t-pw"

for name in open auth; do
  tinyproxy -d -c "$work/$name.conf" >"$work/$name.out" 2>&1 &
  pids+=($!)
done
for port in "$open_port" "$auth_port"; do
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.05
  done
done

AIVEN_TEST_SIM_PORT=$sim_port \
AIVEN_TEST_PROXY=http://127.0.0.1:$open_port \
AIVEN_TEST_PROXY_LOG=$work/open.log \
AIVEN_TEST_AUTH_PROXY_PORT=$auth_port \
AIVEN_TEST_AUTH_PROXY_LOG=$work/auth.log \
  "$test_bin"
