#!/usr/bin/env python3
"""Fails when the committed generated folders differ from a fresh generator run."""
import argparse
import filecmp
import os
import subprocess
import sys
import tempfile

FOLDERS = ["include/aiven/api", "src/api", "tests/conformance/generated", "src/cli/generated", "tests/cli/generated"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--repo", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="aiven-regen-") as tmp:
        subprocess.run([sys.executable, os.path.join(args.repo, "tools/codegen/generate.py"),
                        "--spec", args.spec, "--out", tmp], check=True)
        bad = []
        for folder in FOLDERS:
            a, b = os.path.join(args.repo, folder), os.path.join(tmp, folder)
            names = sorted(set(os.listdir(a) if os.path.isdir(a) else []) | set(os.listdir(b)))
            for n in names:
                pa, pb = os.path.join(a, n), os.path.join(b, n)
                if not os.path.exists(pa):
                    bad.append(f"missing in the repository: {folder}/{n}")
                elif not os.path.exists(pb):
                    bad.append(f"not generated (stale?): {folder}/{n}")
                elif not filecmp.cmp(pa, pb, shallow=False):
                    bad.append(f"differs: {folder}/{n}")
        for line in bad:
            print(line)
        if bad:
            print("regeneration is not clean: run python3 tools/codegen/generate.py and commit the result")
            return 1
        print("regeneration is clean")
        return 0


if __name__ == "__main__":
    sys.exit(main())
