#!/usr/bin/env bash
# A CI job against aiven-sim instead of api.aiven.io: start it on a free port, read its
# environment, spin up a database for the test run, then tear it down.
#
#   examples/ci_with_aiven_sim.sh [path/to/aiven-sim]
#
# Any tool that honours AIVEN_WEB_URL / AIVEN_AUTH_TOKEN / AIVEN_CA_CERT (avn, the aiven
# CLI, this library) can run where curl runs below. Each `aiven` CLI invocation is its own
# process with no state, so a multi-step script keeps one aiven-sim running for all steps.
set -euo pipefail
sim=${1:-aiven-sim}
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

cat >"$work/seed.json" <<'EOF'
{"projects": [{"project_name": "ci", "default_cloud": "aws-eu-west-1",
               "services": [{"service_name": "cache", "service_type": "valkey", "plan": "startup-4"}]}]}
EOF

# --print-env writes KEY=VALUE lines once it listens; --port-file the port alone.
"$sim" --port 0 --seed "$work/seed.json" --ready-delay-ms 200 --print-env --port-file "$work/port" \
  >"$work/sim.env" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { cat "$work/sim.log" >&2; exit 1; }
set -a; . "$work/sim.env"; set +a
echo "simulator at $AIVEN_WEB_URL (port $(cat "$work/port"))"

api() {  # api METHOD PATH [BODY]
  curl -sS --fail-with-body --cacert "$AIVEN_CA_CERT" -H "Authorization: aivenv1 $AIVEN_AUTH_TOKEN" \
    -H 'Content-Type: application/json' -X "$1" "$AIVEN_WEB_URL$2" ${3:+--data "$3"}
}
state() { api GET "/v1/project/ci/service/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["service"]["state"])'; }

echo "seeded service cache is $(state cache)"
api POST /v1/project/ci/service '{"cloud": null, "plan": "startup-4", "service_name": "test-db", "service_type": "pg"}' >/dev/null
until [ "$(state test-db)" = RUNNING ]; do sleep 0.1; done
echo "test-db is RUNNING"
api POST /v1/project/ci/service/test-db/user '{"username": "app"}' >/dev/null
api POST /v1/project/ci/service/test-db/db '{"database": "appdb"}' >/dev/null
api GET /v1/project/ci/kms/ca | python3 -c 'import json,sys; print(json.load(sys.stdin)["certificate"].splitlines()[0])'
api GET /v1/project/ci/service/test-db |
  python3 -c 'import json,sys; s=json.load(sys.stdin)["service"]; print("users:", *[u["username"] for u in s["users"]], "databases:", *s["databases"])'
api DELETE /v1/project/ci/service/test-db >/dev/null
if api GET /v1/project/ci/service/test-db >/dev/null 2>&1; then echo "test-db still exists"; exit 1; fi
echo "test-db is gone"
