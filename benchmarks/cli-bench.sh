#!/usr/bin/env bash
# The `aiven` command line tool next to curl, against a local nginx serving API-shaped bodies.
#
#   benchmarks/cli-bench.sh [BUILD_DIR]      (default build/default; needs aiven, aiven-sim built)
#
# Measures (wall clock; nginx pinned to core 0 and the clients to core 1, as benchmarks/run.sh): start-up (`aiven --version` vs `curl --version`), one call
# (a new process, TCP + TLS handshake, one GET) and 1,000 GETs: `aiven batch --parallel 8` vs one
# curl process with --parallel --parallel-max 8, one curl process sequential (keep-alive), and
# 1,000 curl processes (8 at a time, as a shell loop would). The response bodies are taken from
# the simulator (aiven-sim), so they have the real API's shape and size.
# Env: RUNS (repetitions of the single-process measurements, default 50), BATCH (default 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/default}
aiven=$build/src/cli/aiven
sim=$build/src/sim/aiven-sim
runs=${RUNS:-50}
batch=${BATCH:-1000}
for b in "$aiven" "$sim"; do
  [ -x "$b" ] || { echo "cli-bench: $b is not built (cmake --build --preset default --target aiven-cli aiven-sim)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "cli-bench: curl is missing" >&2; exit 1; }
nginx_sh=benchmarks/nginx.sh

work=$(mktemp -d -t aiven-cli-bench.XXXXXX)
chmod 755 "$work"  # nginx workers may run as another user
sim_pid=
cleanup() {
  "$nginx_sh" stop "$work/nginx" >/dev/null 2>&1 || true
  [ -z "$sim_pid" ] || { kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Bodies with the API's shape: fetched once from the simulator.
"$sim" --port 0 --write-ca "$work/sim-ca.pem" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do grep -qo 'https://127.0.0.1:[0-9]*' "$work/sim.log" 2>/dev/null && break; sleep 0.05; done
sim_url=$(grep -o 'https://127.0.0.1:[0-9]*' "$work/sim.log" | head -1)
mkdir -p "$work/www" && chmod 755 "$work/www"
get_sim() { curl -sf --cacert "$work/sim-ca.pem" -H 'Authorization: aivenv1 sim-token' "$sim_url$1"; }
get_sim /v1/project >"$work/www/project.json"
get_sim /v1/clouds >"$work/www/clouds.json"
body='{"cloud":"google-europe-west1","plan":"startup-4","service_name":"pg-main","service_type":"pg"}'
curl -sf --cacert "$work/sim-ca.pem" -H 'Authorization: aivenv1 sim-token' -H 'Content-Type: application/json' \
  -d "$body" "$sim_url/v1/project/demo/service" >/dev/null
get_sim /v1/project/demo/service/pg-main >"$work/www/service.json"
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=

# As benchmarks/run.sh: nginx on core 0, the clients on core 1 (when there are two cores).
pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  "$nginx_sh" start "$work/nginx" "$work/www" 0 >/dev/null
  pin=(taskset -c 1)
else
  "$nginx_sh" start "$work/nginx" "$work/www" >/dev/null
fi
port=$(cat "$work/nginx/port")
url=https://127.0.0.1:$port
ca=$work/nginx/ca.pem
export AIVEN_TOKEN=bench-token

now() { date +%s%N; }
# Mean wall time of one run of "$@" in ms, over $runs runs.
per_run_ms() {
  local t0 t1
  t0=$(now)
  for _ in $(seq 1 "$runs"); do "${pin[@]}" "$@" >/dev/null; done
  t1=$(now)
  awk -v d=$((t1 - t0)) -v n="$runs" 'BEGIN { printf "%.2f", d / n / 1e6 }'
}
# Wall time of one run of "$@" in s (its progress output discarded).
once_s() {
  local t0 t1
  t0=$(now)
  "${pin[@]}" "$@" >/dev/null 2>&1
  t1=$(now)
  awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }'
}

# Inputs of the 1,000-request runs: the three GETs in turn.
: >"$work/batch.jsonl"
: >"$work/curl.cfg"
: >"$work/urls"
paths=(/v1/project /v1/clouds /v1/project/demo/service/pg-main)
ops=('{"op":"ProjectList"}' '{"op":"ListClouds"}' '{"op":"ServiceGet","params":{"project":"demo","service_name":"pg-main"}}')
for i in $(seq 0 $((batch - 1))); do
  k=$((i % 3))
  echo "${ops[$k]}" >>"$work/batch.jsonl"
  printf 'url = "%s%s"\noutput = "/dev/null"\n' "$url" "${paths[$k]}" >>"$work/curl.cfg"
  echo "$url${paths[$k]}" >>"$work/urls"
done
printf 'silent\nfail\ncacert = "%s"\nheader = "Authorization: aivenv1 %s"\n' "$ca" "$AIVEN_TOKEN" >"$work/auth.cfg"
curl_common=(-K "$work/auth.cfg")

# Sanity: both tools get the same document.
a=$("$aiven" --url "$url" --ca-file "$ca" project list --compact)
[ -n "$a" ] || { echo "cli-bench: aiven got no answer from nginx" >&2; exit 1; }
n_ok=$("$aiven" --url "$url" --ca-file "$ca" batch --parallel 8 <"$work/batch.jsonl" | grep -c '"ok":true' || true)
[ "$n_ok" -eq "$batch" ] || { echo "cli-bench: batch answered $n_ok/$batch ok" >&2; exit 1; }

echo "aiven CLI vs curl, nginx on 127.0.0.1 over TLS ($(nproc) cores; means of $runs runs, batch of $batch)"
printf '%-58s %10s\n' "measurement" "result"
printf '%-58s %8s ms\n' "start-up: aiven --version" "$(per_run_ms "$aiven" --version)"
printf '%-58s %8s ms\n' "start-up: curl --version" "$(per_run_ms curl --version)"
printf '%-58s %8s ms\n' "one call: aiven service get (process + TLS + GET)" \
  "$(per_run_ms "$aiven" --url "$url" --ca-file "$ca" service get --project demo --service-name pg-main)"
printf '%-58s %8s ms\n' "one call: curl (same GET)" \
  "$(per_run_ms curl "${curl_common[@]}" "$url/v1/project/demo/service/pg-main")"
printf '%-58s %8s s\n' "$batch GETs: aiven batch --parallel 8" \
  "$(once_s sh -c "\"$aiven\" --url $url --ca-file $ca batch --parallel 8 <$work/batch.jsonl")"
printf '%-58s %8s s\n' "$batch GETs: aiven batch --parallel 1" \
  "$(once_s sh -c "\"$aiven\" --url $url --ca-file $ca batch --parallel 1 <$work/batch.jsonl")"
printf '%-58s %8s s\n' "$batch GETs: one curl, --parallel --parallel-max 8" \
  "$(once_s curl -s "${curl_common[@]}" --parallel --parallel-max 8 -K "$work/curl.cfg")"
printf '%-58s %8s s\n' "$batch GETs: one curl, sequential (keep-alive)" \
  "$(once_s curl "${curl_common[@]}" -K "$work/curl.cfg")"
printf '%-58s %8s s\n' "$batch GETs: $batch curl processes, 8 at a time" \
  "$(once_s sh -c "xargs -P 8 -n 1 curl -K $work/auth.cfg -o /dev/null <$work/urls")"
