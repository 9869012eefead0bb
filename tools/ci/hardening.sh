#!/usr/bin/env bash
# Hardening checks, called by `tools/run test` after the default and asan runs:
#   1. tests/hardening under ASan + UBSan (the asan build exists by then);
#   2. the threaded tests under ThreadSanitizer (preset tsan: core + simulator only);
#   3. the libFuzzer targets (preset fuzz, clang-14), each for FUZZ_SECONDS;
#   4. the soak (SOAK_SECONDS) with RSS and descriptor bounds.
# Longer runs: docs/hardening.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
SOAK_SECONDS=${SOAK_SECONDS:-60}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

t_all=$SECONDS

# 1. ASan + UBSan.
t0=$SECONDS
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS" --target hardening_test
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan -L hardening
echo "== hardening (asan): $((SECONDS - t0)) s"

# 2. ThreadSanitizer.
t0=$SECONDS
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$JOBS" --target tsan_test
ctest --preset tsan -L threads
echo "== tsan: $((SECONDS - t0)) s"

# 3. Fuzzing: new inputs go to a scratch directory; the committed seeds are read only.
t0=$SECONDS
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$JOBS" --target fuzz_decode fuzz_error_body fuzz_http_response
echo "== build (fuzz): $((SECONDS - t0)) s"
scratch=$(mktemp -d)
mkdir -p build/fuzz/findings
trap 'rm -rf "$scratch"' EXIT
fuzz() {  # $1 = target, $2 = corpus name
  mkdir -p "$scratch/$2"
  if ! "build/fuzz/fuzz/$1" -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="build/fuzz/findings/$2-" "$scratch/$2" "fuzz/corpus/$2" >"$scratch/$2.log" 2>&1; then
    tail -60 "$scratch/$2.log"
    echo "== fuzz $1: FAILED (reproducer in build/fuzz/findings/)"
    return 1
  fi
  echo "== fuzz $1: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$scratch/$2.log" | awk '{print $2}') executions" \
       "in ${FUZZ_SECONDS} s, $(ls "$scratch/$2" | wc -l) new corpus inputs"
}
# The three fuzzers and the soak side by side: the wall time is one FUZZ_SECONDS.
t0=$SECONDS
fuzz fuzz_decode decode & p1=$!
fuzz fuzz_error_body error_body & p2=$!
fuzz fuzz_http_response http_response & p3=$!

# 4. Soak (the default build has it).
build/default/tests/hardening/aiven_soak --seconds "$SOAK_SECONDS" --check
wait $p1; wait $p2; wait $p3
echo "== fuzz + soak: $((SECONDS - t0)) s"
echo "== hardening total: $((SECONDS - t_all)) s"
