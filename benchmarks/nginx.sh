#!/usr/bin/env bash
# A static HTTPS server shaped like api.aiven.io, for benchmarks.
#
#   benchmarks/nginx.sh start DIR [BODIES_DIR] [CPU]   start nginx on 127.0.0.1 (an ephemeral port)
#   benchmarks/nginx.sh stop DIR                        stop it
#
# DIR receives port, ca.pem, the certificate, the config and the logs.
# BODIES_DIR holds project.json, clouds.json and service.json (default: DIR/www,
# which must exist); they are served as GET /v1/project, /v1/clouds and
# /v1/project/demo/service/pg-main. With CPU, nginx runs pinned to that core.
# Installs nginx-light (apt-get) when nginx is missing.
set -euo pipefail

cmd=${1:?usage: nginx.sh start|stop DIR [BODIES_DIR] [CPU]}
dir=${2:?usage: nginx.sh start|stop DIR [BODIES_DIR] [CPU]}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
nginx_bin() { command -v nginx || echo /usr/sbin/nginx; }

if [ "$cmd" = stop ]; then
  if [ -f "$dir/nginx.pid" ]; then
    kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -f "$dir/nginx.pid" ] || break; sleep 0.1; done
  fi
  exit 0
fi
[ "$cmd" = start ] || { echo "nginx.sh: unknown command $cmd" >&2; exit 2; }

bodies=${3:-$dir/www}
cpu=${4:-}
bodies=$(cd "$bodies" && pwd)
for f in project.json clouds.json service.json; do
  [ -f "$bodies/$f" ] || { echo "nginx.sh: $bodies/$f is missing" >&2; exit 1; }
done
if [ ! -x "$(nginx_bin)" ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi

# A CA and a leaf certificate for 127.0.0.1, so that clients verify TLS for real.
if [ ! -f "$dir/server.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# As root nginx would serve as an unprivileged user that cannot read a private temporary folder.
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$dir/nginx.conf" <<CONF
$user_line
daemon on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $dir/server.pem;
    ssl_certificate_key $dir/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    default_type application/json;
    location = /v1/project { alias $bodies/project.json; }
    location = /v1/clouds { alias $bodies/clouds.json; }
    location = /v1/project/demo/service/pg-main { alias $bodies/service.json; }
  }
}
CONF
mkdir -p "$dir/tmp"
rm -f "$dir/nginx.pid"
if [ -n "$cpu" ] && command -v taskset >/dev/null; then
  taskset -c "$cpu" "$(nginx_bin)" -c "$dir/nginx.conf" -p "$dir" 2>>"$dir/error.log"
else
  "$(nginx_bin)" -c "$dir/nginx.conf" -p "$dir" 2>>"$dir/error.log"
fi
for _ in $(seq 1 50); do
  if curl -sf --cacert "$dir/ca.pem" -o /dev/null "https://127.0.0.1:$port/v1/project"; then
    echo "$port" >"$dir/port"
    echo "nginx on https://127.0.0.1:$port (CA $dir/ca.pem)"
    exit 0
  fi
  sleep 0.1
done
echo "nginx.sh: nginx did not answer; $dir/error.log:" >&2
tail -20 "$dir/error.log" >&2
[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null  # not left running
exit 1
