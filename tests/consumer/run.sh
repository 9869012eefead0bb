#!/usr/bin/env bash
# Installs the built library into a temporary prefix, builds tests/consumer/project
# against it with find_package and with pkg-config, and runs both against the
# installed aiven-sim.   usage: run.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/project" && pwd)
work=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
test -f "$prefix/include/aiven/client.hpp" -a -f "$prefix/include/aiven/version.hpp"
test -f "$prefix/lib/cmake/aiven-cpp/aiven-cpp-config.cmake" -a -f "$prefix/lib/pkgconfig/aiven-cpp.pc"
test -x "$prefix/bin/aiven-sim"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$here" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >/dev/null
cmake --build "$work/build" >/dev/null

# The same program with only pkg-config and the compiler.
PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --exists --print-errors aiven-cpp
# shellcheck disable=SC2046
c++ -O1 -o "$work/consumer-pc" "$here/main.cpp" $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs aiven-cpp)

"$prefix/bin/aiven-sim" --ready-delay-ms 300 --write-ca "$work/ca.pem" >"$work/sim.out" 2>&1 &
sim_pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^aiven-sim listening on //p' "$work/sim.out")
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { cat "$work/sim.out" >&2; exit 1; }

for exe in "$work/build/consumer" "$work/consumer-pc"; do
  env -u AIVEN_CREDENTIALS_FILE AIVEN_WEB_URL="$url" AIVEN_TOKEN=sim-token HOME="$work" "$exe" "$work/ca.pem"
done
