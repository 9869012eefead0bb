#!/usr/bin/env python3
"""Every operation of the document, through `prism proxy` in front of aiven-sim.

    sim_prism_proxy.py --sim AIVEN_SIM --spec openapi.json [--prism PRISM] [--min N]

Starts aiven-sim (seeded with project "sample" and its service "sample", so that the modelled
routes find what the path names), starts `prism proxy --errors` on the document with the
simulator as upstream, and sends one valid request per operation: path parameters "sample",
required query parameters and JSON bodies built from their schemas (every property, the first
enum value, format-shaped strings, bounds respected; multipart bodies with their required
fields). Prism validates the request and the simulator's answer against the document; with
--errors a violation turns the answer into Prism's own error (a problem+json body naming the
violations), which is how a violation is told from an answer. Prints each violation and
"N/489 operations answered validly"; fails unless every operation did (or at least --min).
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "codegen"))

from aiven_codegen import sim  # noqa: E402

METHODS = ("get", "put", "post", "delete", "patch")
SEED = {"projects": [{"project_name": "sample",
                      "services": [{"service_name": "sample", "service_type": "kafka", "plan": "business-4"}]}]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, proc, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited early")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/v1/clouds")
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.25)
    raise SystemExit(f"{what} did not answer within {timeout}s")


def _string_named_sample(s, name):
    # Every string is "sample" (as the path values are), so that what one operation creates
    # is what the next one reads: the second pass finds the first pass's resources.
    return sim.sample_string(s, "sample") if s.get("format") not in sim.FORMAT_SAMPLES else sim.sample_string(s)


def requests_of(doc):
    r = sim._Resolver(doc)
    base = urllib.parse.urlparse((doc.get("servers") or [{"url": ""}])[0].get("url", "")).path.rstrip("/")
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            o = item[method]
            query, path_values = {}, {}
            for p in (o.get("parameters") or []) + (item.get("parameters") or []):
                p = r.deref(p)
                if p.get("in") == "query" and p.get("required"):
                    query[p["name"]] = sim._sample(r, p.get("schema") or {}, p["name"])
                if p.get("in") == "path":
                    # "sample" unless the schema says otherwise (an enum, an integer).
                    ps = r.merged(p.get("schema") or {})
                    path_values[p["name"]] = str(sim._sample(r, ps, "sample")) if ps.get("enum") or \
                        ps.get("type") in ("integer", "number") else "sample"
            target = base + "".join(urllib.parse.quote(path_values.get(seg[1:-1], "sample"), safe="")
                                    if seg.startswith("{") else seg for seg in _split(path))
            if query:
                target += "?" + urllib.parse.urlencode(query, doseq=True)
            body, ctype = None, None
            content = (r.deref(o.get("requestBody") or {})).get("content") or {}
            if "application/json" in content:
                body = json.dumps(sim._sample(r, content["application/json"].get("schema") or {})).encode()
                ctype = "application/json"
            elif any(k.startswith("multipart/") for k in content):
                schema = r.merged(next(v for k, v in content.items() if k.startswith("multipart/")).get("schema") or {})
                parts = []
                for name in schema.get("required") or []:
                    parts.append(f'--b\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
                                 f"Content-Type: application/octet-stream\r\n\r\nsample\r\n")
                body = ("".join(parts) + "--b--\r\n").encode()
                ctype = "multipart/form-data; boundary=b"
            yield o["operationId"], method.upper(), target, body, ctype


def _split(path):
    out, cur, in_param = [], "", False
    for ch in path:
        if ch == "{":
            if cur:
                out.append(cur)
            cur, in_param = "{", True
        elif ch == "}" and in_param:
            out.append(cur + "}")
            cur, in_param = "", False
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", required=True)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--prism", default=os.path.join(HERE, "node_modules", ".bin", "prism"))
    ap.add_argument("--min", type=int, default=None, help="operations that must answer validly (default: all)")
    args = ap.parse_args()
    if not os.path.exists(args.prism):
        # As run-prism.sh does: Prism from npm, into tests/conformance/node_modules.
        version = os.environ.get("PRISM_VERSION", "5.14.2")
        print(f"sim_prism_proxy: installing @stoplight/prism-cli@{version}", file=sys.stderr)
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error",
                        f"@stoplight/prism-cli@{version}"], cwd=HERE, check=True, stdout=sys.stderr)
    with open(args.spec) as f:
        doc = json.load(f)
    tmp = tempfile.mkdtemp(prefix="aiven-sim-prism-")
    seed = os.path.join(tmp, "seed.json")
    with open(seed, "w") as f:
        json.dump(SEED, f)
    ca = os.path.join(tmp, "ca.pem")
    sim_port, prism_port = free_port(), free_port()
    procs = []
    try:
        simp = subprocess.Popen([args.sim, "--port", str(sim_port), "--write-ca", ca, "--seed", seed,
                                 "--token", "test-token", "--ready-delay-ms", "0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(simp)
        for _ in range(200):
            if os.path.exists(ca) or simp.poll() is not None:
                break
            time.sleep(0.05)
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=ca)
        log = open(os.path.join(tmp, "prism.log"), "w")
        prism = subprocess.Popen([args.prism, "proxy", "--errors", "-h", "127.0.0.1", "-p", str(prism_port),
                                  args.spec, f"https://127.0.0.1:{sim_port}"], stdout=log, stderr=log, env=env)
        procs.append(prism)
        started = time.time()
        wait_http(prism_port, prism, "prism")
        print(f"prism proxy ready in {time.time() - started:.1f}s", flush=True)

        sim._string = _string_named_sample
        ops = list(requests_of(doc))

        def send(op):
            op_id, method, target, body, ctype = op
            headers = {"Authorization": "aivenv1 test-token", "Accept": "*/*"}
            if ctype:
                headers["Content-Type"] = ctype
            conn = http.client.HTTPConnection("127.0.0.1", prism_port, timeout=60)
            try:
                conn.request(method, target, body=body, headers=headers)
                res = conn.getresponse()
                data = res.read()
            except (OSError, http.client.HTTPException) as e:
                return op, f"transport: {e}"
            finally:
                conn.close()
            ct = res.getheader("content-type") or ""
            if "problem+json" in ct or res.getheader("sl-violations"):
                return op, f"{res.status}: " + data.decode(errors="replace")[:800]
            if res.status == 404 and b"does not exist in the API" in data:
                return op, "404: the simulator does not route it"
            return op, res.status

        # Two passes: the second reads, updates and deletes what the first created.
        bad, statuses = {}, {}
        for n in (1, 2):
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                for op, outcome in pool.map(send, ops):
                    if isinstance(outcome, str):
                        bad[op[0]] = (op[0], op[1], op[2], f"pass {n}: {outcome}")
                    else:
                        statuses.setdefault(op[0], set()).add(outcome)
        bad = list(bad.values())
        valid = len(ops) - len(bad)
        ok2xx = sum(1 for v in statuses.values() if any(200 <= x < 300 for x in v))
        print(f"{ok2xx} operations answered 2xx in a pass; the others answered documented errors "
              f"(404 for what the path names and does not exist, 400 for bodies the model refuses)")
        for op_id, method, target, why in bad:
            print(f"VIOLATION {op_id} {method} {target}\n  {why}")
        print(f"{valid}/{len(ops)} operations answered validly through prism proxy")
        need = len(ops) if args.min is None else args.min
        return 0 if valid >= need else 1
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
