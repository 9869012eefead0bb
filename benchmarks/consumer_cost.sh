#!/usr/bin/env bash
# What a user's one-file program pays for aiven-cpp: compile CPU time and peak
# memory at -O3, preprocessed lines, binary size (as linked and stripped), beside
# a reference compiled in the same run (reference.cpp: Asio, SSL, Beast, JSON,
# the header-only cost any HTTPS+JSON program with Asio already pays).
#   usage: benchmarks/consumer_cost.sh PREFIX [CXX]   (PREFIX: an aiven-cpp install)
set -euo pipefail
prefix=$(cd "$1" && pwd)
cxx=${2:-c++}
here=$(cd "$(dirname "$0")/consumer_cost" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
read -r -a cflags <<<"$(pkg-config --cflags aiven-cpp)"
read -r -a libs <<<"$(pkg-config --libs aiven-cpp)"

measure() {  # $1 = name; compile $here/$1.cpp, three runs, the least CPU
  local best= mem= t
  for _ in 1 2 3; do
    /usr/bin/time -f "%U %S %M" -o "$work/t" "$cxx" -O3 "${cflags[@]}" -c "$here/$1.cpp" -o "$work/$1.o"
    read -r u s m <"$work/t"
    t=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; mem=$m; fi
  done
  "$cxx" -o "$work/$1" "$work/$1.o" "${libs[@]}"
  strip -o "$work/$1.stripped" "$work/$1"
  local lines
  lines=$("$cxx" -E "${cflags[@]}" "$here/$1.cpp" | wc -l)
  echo "$1 $best $mem $lines $(stat -c %s "$work/$1") $(stat -c %s "$work/$1.stripped")"
}

r=$(measure reference)
o=$(measure one)
printf '%-10s %9s %9s %11s %12s %12s\n' file "cpu s" "peak MB" "pp lines" "binary MB" "stripped MB"
for row in "$r" "$o"; do
  read -r n t m l b s <<<"$row"
  awk -v n="$n" -v t="$t" -v m="$m" -v l="$l" -v b="$b" -v s="$s" \
    'BEGIN{printf "%-10s %9.2f %9.0f %11d %12.1f %12.1f\n", n, t, m/1024, l, b/1e6, s/1e6}'
done
read -r _ rt rm rl rb rs <<<"$r"
read -r _ ot om ol ob os <<<"$o"
awk -v rt="$rt" -v ot="$ot" -v rm="$rm" -v om="$om" -v rl="$rl" -v ol="$ol" -v rs="$rs" -v os="$os" \
  'BEGIN{printf "one / reference: cpu %.2fx, memory %.2fx, lines %.2fx, stripped binary %.2fx\n", ot/rt, om/rm, ol/rl, os/rs}'
for f in "$prefix"/lib/libaiven*.a; do printf '%s %.1f MB\n' "$(basename "$f")" "$(stat -c %s "$f" | awk '{print $1/1e6}')"; done
printf 'install prefix %s\n' "$(du -sh "$prefix" | cut -f1)"
