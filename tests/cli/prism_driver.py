#!/usr/bin/env python3
"""Runs `aiven` for every generated CLI case against Prism; every call must exit 0.

    prism_driver.py BASE_URL --aiven PATH --cases prism_cases.jsonl [--jobs N] [--filter S]

Each case (tests/cli/generated/prism_cases.jsonl) holds one operation's arguments, with the
required members only or with every member: the conformance cases' sample values, through the
command line. Prism answers 4xx to a request that does not match the document, so exit 0 means
the CLI built a valid request and printed the result. Fails unless every operation of the tool
(`aiven --version`) has its cases.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base_url")
    ap.add_argument("--aiven", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--jobs", type=int, default=max(4, (os.cpu_count() or 2) * 2))
    ap.add_argument("--filter", default="")
    args = ap.parse_args()

    with open(args.cases) as f:
        cases = [json.loads(line) for line in f if line.strip()]
    cases = [c for c in cases if args.filter in c["op"]]
    # Operations Prism cannot serve (overrides.json conformance_exclude): listed, not run.
    excluded = [c for c in cases if "excluded" in c]
    cases = [c for c in cases if "excluded" not in c]
    for c in excluded:
        print(f"EXCLUDED {c['op']}: {c['excluded']}")
    version = subprocess.run([args.aiven, "--version"], capture_output=True, text=True, check=True).stdout
    total_ops = int(re.search(r"(\d+) operations", version).group(1))

    tmp = tempfile.mkdtemp(prefix="aiven-cli-prism-")
    sample = os.path.join(tmp, "sample.txt")
    with open(sample, "w") as f:
        f.write("sample file\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIVEN_")}
    env["HOME"] = tmp  # no credentials file

    def run(i, case):
        out = os.path.join(tmp, f"out{i}")
        argv = [args.aiven, "--url", args.base_url, "--insecure-http", "--token", "test-token",
                "--timeout", "30", "--compact"]
        argv += [out if a == "@OUTPUT_FILE@" else sample if a == "@SAMPLE_FILE@" else a for a in case["args"]]
        p = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
        problem = None
        if p.returncode != 0:
            problem = f"exit {p.returncode}: {p.stderr.strip()[:600]}"
        elif "@OUTPUT_FILE@" in case["args"] and not os.path.exists(out):
            problem = "--output was not written"
        elif p.stdout.strip():
            try:
                json.loads(p.stdout)
            except ValueError:
                problem = f"stdout is not JSON: {p.stdout[:200]!r}"
        return case, argv, problem

    failures = []
    passed = set()
    seen = set()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for case, argv, problem in pool.map(lambda ic: run(*ic), enumerate(cases)):
            seen.add(case["op"])
            if problem:
                failures.append(case["op"])
                print(f"FAIL {case['op']} ({case['variant']}): {' '.join(argv[1:])}\n  {problem}", flush=True)
            else:
                passed.add(case["op"])
    ok = len(seen) - len(set(failures))
    print(f"{ok}/{len(seen)} operations passed through the CLI ({len(cases)} calls); "
          f"the tool has {total_ops} operations")
    if failures:
        return 1
    if not args.filter and len(seen) + len(excluded) != total_ops:
        print("the cases do not cover every operation of the tool: regenerate (python3 tools/codegen/generate.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
