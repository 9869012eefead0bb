#!/usr/bin/env bash
# Installs the built library into a temporary prefix and builds tests/consumer/project
# against it as users do, setting nothing the docs do not tell them to set:
#   - find_package, GCC: the program with its own header-only Asio, and again with
#     Asio compiled by the program itself (BOOST_ASIO_SEPARATE_COMPILATION);
#   - find_package, Clang, against the GCC-built package;
#   - pkg-config only (aiven-sim.pc, which requires aiven-cpp.pc).
# Runs each: against the installed aiven-sim, or with the simulator embedded.
#   usage: run.sh BUILD_DIR
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
test -f "$prefix/lib/pkgconfig/aiven-sim.pc"
test -x "$prefix/bin/aiven-sim"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$here" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >/dev/null
cmake --build "$work/build" >/dev/null

clang=$(command -v clang++-14 || command -v clang++ || true)
if [ -n "$clang" ]; then
  cmake -S "$here" -B "$work/build-clang" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$clang" \
    -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >/dev/null
  cmake --build "$work/build-clang" --target consumer >/dev/null
else
  echo "consumer: no clang++ here, the Clang build is skipped" >&2
fi

# The same program with only pkg-config and the compiler.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pkg-config --exists --print-errors aiven-cpp aiven-sim
# shellcheck disable=SC2046
c++ -O1 -o "$work/consumer-pc" "$here/main.cpp" "$here/own_asio.cpp" $(pkg-config --cflags --libs aiven-sim)

"$prefix/bin/aiven-sim" --ready-delay-ms 300 --write-ca "$work/ca.pem" >"$work/sim.out" 2>&1 &
sim_pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^aiven-sim listening on //p' "$work/sim.out")
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { cat "$work/sim.out" >&2; exit 1; }

env -u AIVEN_CREDENTIALS_FILE AIVEN_WEB_URL="$url" AIVEN_TOKEN=sim-token HOME="$work" "$work/build/consumer" "$work/ca.pem"
for exe in "$work/build/consumer_asio_compiled" "$work/consumer-pc" ${clang:+"$work/build-clang/consumer"}; do
  env -u AIVEN_CREDENTIALS_FILE -u AIVEN_TOKEN HOME="$work" "$exe" --embedded
done
