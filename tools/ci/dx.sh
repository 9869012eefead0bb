#!/usr/bin/env bash
# What the install/proxy/example tests need on a fresh Debian 12 machine.
#   tools/ci/dx.sh setup   install tinyproxy (tests/proxy/run.sh starts its own
#                          instances on 127.0.0.1 and stops them)
set -euo pipefail
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
case "${1:-setup}" in
  setup)
    if ! command -v tinyproxy >/dev/null 2>&1; then
      echo "== installing: tinyproxy"
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tinyproxy >/dev/null
      # The package starts a system-wide proxy on port 8888; the tests do not use it.
      as_root systemctl disable --now tinyproxy >/dev/null 2>&1 || as_root service tinyproxy stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: tools/ci/dx.sh setup" >&2
    exit 2
    ;;
esac
