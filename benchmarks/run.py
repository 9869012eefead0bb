"""Driver of benchmarks/run.sh: servers up, peers side by side, the table."""
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

QUICK = "--quick" in sys.argv
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "default")
BENCH = os.path.join(BUILD, "benchmarks", "aiven-bench")
DECODE = os.path.join(BUILD, "benchmarks", "decode-bench")
SIM = os.path.join(BUILD, "src", "sim", "aiven-sim")
NGINX_SH = os.path.join(ROOT, "benchmarks", "nginx.sh")
TWO_CORES = (os.cpu_count() or 1) >= 2
SERVER_CPU, CLIENT_CPU = "0", "1"
DURATION = 2 if QUICK else 8
CONCURRENCY = 64
ENDPOINTS = ["/v1/project", "/v1/clouds", "/v1/project/demo/service/pg-main"]


def pin(cmd, cpu):
    return ["taskset", "-c", cpu] + cmd if TWO_CORES and shutil.which("taskset") else cmd


def timed(cmd, **kw):
    """Runs cmd; returns (stdout, user+sys CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def wrk(url, headers=()):
    cmd = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{DURATION}s"]
    for h in headers:
        cmd += ["-H", h]
    out, cpu = timed(pin(cmd + [url], CLIENT_CPU))
    n = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"wrk: {errors.group(1)} non-2xx answers from {url}")
    return {"peer": "wrk", "requests": n, "req_per_s": rps, "cpu_us_per_req": cpu * 1e6 / n}


def aiven_bench(base, ca, endpoint, requests, concurrency=CONCURRENCY, pool=64):
    cmd = [BENCH, "--url", base, "--ca-file", ca, "--endpoint", endpoint, "--requests", str(requests),
           "--concurrency", str(concurrency), "--pool", str(pool)]
    out, _ = timed(pin(cmd, CLIENT_CPU), env=dict(os.environ, AIVEN_TOKEN="bench-token"))
    return json.loads(out.strip().splitlines()[-1])


def main():
    work = tempfile.mkdtemp(prefix="aiven-bench-")
    www = os.path.join(work, "www")
    os.makedirs(www)
    subprocess.run([BENCH, "--write-bodies", www], check=True, capture_output=True)
    sizes = {e: os.path.getsize(os.path.join(www, f)) for e, f in
             zip(ENDPOINTS, ["project.json", "clouds.json", "service.json"])}
    subprocess.run([NGINX_SH, "start", work, www, SERVER_CPU if TWO_CORES else ""], check=True)
    sim = None
    rows, extra = [], {}
    try:
        port = open(os.path.join(work, "port")).read().strip()
        base, ca = f"https://127.0.0.1:{port}", os.path.join(work, "ca.pem")
        for e in ENDPOINTS:
            w = wrk(base + e)
            # As many calls as wrk made in its run (at least 20,000), so both run about as long.
            n = max(20000 if not QUICK else 5000, int(w["requests"] * 0.9))
            a = aiven_bench(base, ca, e, n)
            if a["errors"]:
                raise SystemExit(f"aiven-bench: {a['errors']} errors on {e}")
            rows.append((e, sizes[e], w, a))
        # 10,000 calls in flight at once through a pool of 64.
        extra["inflight"] = aiven_bench(base, ca, "/v1/project", 10000, concurrency=10000, pool=64)
        # The simulator's own throughput, next to nginx's, by wrk with a token.
        sim_ca = os.path.join(work, "sim-ca.pem")
        sim = subprocess.Popen(pin([SIM, "--write-ca", sim_ca, "--token", "bench-token", "--threads", "1"],
                                   SERVER_CPU), stdout=subprocess.PIPE, text=True)
        sim_url = re.search(r"listening on (\S+)", sim.stdout.readline()).group(1)
        extra["sim"] = wrk(sim_url + "/v1/project", headers=["Authorization: aivenv1 bench-token"])
        extra["nginx"] = wrk(base + "/v1/project")
    finally:
        if sim:
            sim.terminate()
            sim.wait()
        subprocess.run([NGINX_SH, "stop", work], check=False)
    decode = [json.loads(l) for l in subprocess.run([DECODE, www] + (["--iterations", "200"] if QUICK else []),
                                                    check=True, capture_output=True, text=True).stdout.splitlines()]
    shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"Machine: {os.cpu_count()} cores ({cpu_model()}); nginx (1 worker) on core {SERVER_CPU}, "
          f"clients on core {CLIENT_CPU}; concurrency {CONCURRENCY}, aiven-bench pool 64; TLS keep-alive.")
    print()
    print("| endpoint | body | wrk req/s | wrk µs CPU/req | aiven-cpp req/s | aiven-cpp µs CPU/req | CPU ratio (<= 1.5) "
          "| throughput ratio (>= 0.8) | TLS handshakes |")
    print("|---|---|---|---|---|---|---|---|---|")
    ok = True
    for e, size, w, a in rows:
        cpu_ratio = a["cpu_us_per_req"] / w["cpu_us_per_req"]
        thr_ratio = a["req_per_s"] / w["req_per_s"]
        ok &= cpu_ratio <= 1.5 and thr_ratio >= 0.8 and a["tls_handshakes"] <= 64
        print(f"| `{e}` | {size / 1024:.1f} KB | {w['req_per_s']:,.0f} | {w['cpu_us_per_req']:.1f} | "
              f"{a['req_per_s']:,.0f} | {a['cpu_us_per_req']:.1f} | {cpu_ratio:.2f} | {thr_ratio:.2f} | "
              f"{a['tls_handshakes']} |")
    inflight = extra["inflight"]
    rss_mb = inflight["max_rss_kb"] / 1024
    ok &= rss_mb <= 64 and inflight["errors"] == 0
    print()
    print(f"10,000 calls in flight (pool 64, /v1/project): {inflight['errors']} errors, {inflight['wall_s']:.2f} s, "
          f"peak RSS {rss_mb:.1f} MB (target <= 64 MB), {inflight['tls_handshakes']} TLS handshakes")
    print()
    print("| body | bytes | do-nothing basic_parser ns | typed decoding ns | typed / do-nothing (<= 1.5) "
          "| parse + map (tree) ns |")
    print("|---|---|---|---|---|---|")
    for d in decode:
        ok &= d["typed_over_null"] <= 1.5
        print(f"| {d['body']} | {d['bytes']} | {d['null_parser_ns']:,.0f} | {d['typed_ns']:,.0f} | "
              f"{d['typed_over_null']:.2f} | {d['parse_then_map_ns']:,.0f} |")
    print()
    s, n = extra["sim"], extra["nginx"]
    print(f"Simulator (1 thread) /v1/project under wrk: {s['req_per_s']:,.0f} req/s; nginx: {n['req_per_s']:,.0f} req/s")
    print()
    print("all targets met" if ok else "some targets missed")
    return 0


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
