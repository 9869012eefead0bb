#!/usr/bin/env bash
# The performance comparison of docs/performance.md, in one run:
#
#   benchmarks/run.sh [--quick]
#
# Builds the benchmark targets (build/default), installs nginx-light and wrk when
# missing, serves the simulator's bodies from nginx over TLS on 127.0.0.1, runs wrk
# and aiven-bench side by side (server pinned to core 0, client to core 1 when
# there are two), the 10,000-in-flight memory test, typed decode vs
# boost::json::parse and the simulator's own throughput, stops the servers and
# prints the table. --quick: short runs (a smoke test, not a measurement).
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -f build/default/build.ninja ] || cmake --preset default >/dev/null
cmake --build build/default --target aiven-bench decode-bench aiven-sim >/dev/null
exec python3 benchmarks/run.py "$@"
