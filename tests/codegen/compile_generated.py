#!/usr/bin/env python3
"""Generates the API layer from a document into a temporary folder and compiles every TU.

    compile_generated.py --spec DOC --repo REPO --compiler CXX [--jobs N] -- FLAGS...

The generated include/ and src/ folders come first on the include path, then the repository's
(for the hand-written core and codec headers). Fails when any TU fails (warnings included when
FLAGS has -Werror).
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--compiler", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("flags", nargs="*")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="aiven-official-")
    try:
        subprocess.run([sys.executable, os.path.join(args.repo, "tools/codegen/generate.py"),
                        "--spec", args.spec, "--out", tmp, "--no-conformance"], check=True)
        srcdir = os.path.join(tmp, "src/api")
        tus = sorted(os.path.join(srcdir, f) for f in os.listdir(srcdir) if f.endswith(".cpp"))
        # A user TU that includes the umbrella header compiles too.
        user = os.path.join(tmp, "umbrella_user.cpp")
        with open(user, "w") as f:
            f.write("#include <aiven/api/all.hpp>\nint main() { return 0; }\n")
        tus.append(user)
        inc = ["-I", os.path.join(tmp, "include"), "-I", os.path.join(tmp, "src"),
               "-I", os.path.join(args.repo, "include"), "-I", os.path.join(args.repo, "src")]

        def compile_one(tu):
            t0 = time.monotonic()
            obj = tu + ".o"
            p = subprocess.run([args.compiler] + args.flags + inc + ["-c", tu, "-o", obj],
                               capture_output=True, text=True)
            return tu, p.returncode, p.stderr, time.monotonic() - t0

        failed = 0
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            for tu, rc, err, dt in ex.map(compile_one, tus):
                name = os.path.relpath(tu, tmp)
                print(f"{'ok  ' if rc == 0 else 'FAIL'} {dt:6.1f}s {name}", flush=True)
                if rc != 0 or err.strip():
                    print(err[:20000])
                if rc != 0:
                    failed += 1
        print(f"{len(tus) - failed}/{len(tus)} TUs compiled in {time.monotonic() - t0:.1f}s")
        return 1 if failed else 0
    finally:
        if not args.keep:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
