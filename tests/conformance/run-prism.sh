#!/usr/bin/env bash
# Runs the conformance binary against `prism mock -d` of the OpenAPI document.
#
#   run-prism.sh <aiven_conformance binary> <openapi.json> [port]
#
# Installs @stoplight/prism-cli with npm into tests/conformance/node_modules when it is missing,
# starts Prism on 127.0.0.1:<port> (default: a free port), waits until it answers,
# runs the binary, stops Prism and exits with the binary's status. Needs only node/npm.
set -euo pipefail

bin=${1:?usage: run-prism.sh <aiven_conformance> <openapi.json> [port]}
spec=${2:?usage: run-prism.sh <aiven_conformance> <openapi.json> [port]}
port=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
prism="$here/node_modules/.bin/prism"
prism_version=${PRISM_VERSION:-5.14.2}

if [ ! -x "$prism" ]; then
  echo "run-prism: installing @stoplight/prism-cli@$prism_version into $here/node_modules" >&2
  (cd "$here" && npm install --no-save --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@$prism_version" >&2)
fi

free_port() {
  node -e '
    const net = require("net");
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => console.log(p)); });'
}
[ -n "$port" ] || port=$(free_port)

log=$(mktemp -t prism-log.XXXXXX)
"$prism" mock -d -h 127.0.0.1 -p "$port" "$spec" >"$log" 2>&1 &
prism_pid=$!
cleanup() {
  kill "$prism_pid" 2>/dev/null || true
  wait "$prism_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT INT TERM

# Prism answers 401 without a token once it is up; any HTTP answer means ready.
for _ in $(seq 1 240); do
  if ! kill -0 "$prism_pid" 2>/dev/null; then
    echo "run-prism: prism exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  if node -e '
      require("http").get(process.argv[1], () => process.exit(0)).on("error", () => process.exit(1));' \
      "http://127.0.0.1:$port/v1/clouds" 2>/dev/null; then
    break
  fi
  sleep 0.5
done

set +e
"$bin" "http://127.0.0.1:$port" "${@:4}"
status=$?
set -e
exit $status
