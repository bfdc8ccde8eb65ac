#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Totals of meson test runs, from their testlog.json files.

    scripts/test_summary.py LABEL=BUILD/meson-logs/testlog.json ...

Prints one line per test that did not pass, then the totals on one line:
"colo-proxy tests: N passed, N failed, N skipped". A skipped test counts as
failed (and is named, with its SKIP reason) when CI=true or
COLO_REQUIRE_ALL=1. Exits 1 when anything failed.
"""
import json
import os
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}


def reason(test):
    out = (test.get("stdout") or "") + (test.get("stderr") or "")
    lines = [l for l in out.splitlines() if "SKIP" in l]
    return lines[-1].strip() if lines else "exit code 77"


def main(args):
    strict = os.environ.get("CI") == "true" or os.environ.get("COLO_REQUIRE_ALL") == "1"
    passed = failed = skipped = 0
    for arg in args:
        label, _, path = arg.rpartition("=")
        if not os.path.exists(path):
            print(f"colo-proxy tests: {label}: no {path} (that run did not start)")
            failed += 1
            continue
        with open(path) as f:
            for line in f:
                t = json.loads(line)
                where = f"{label}: {t['name']}"
                if t["result"] in PASS:
                    passed += 1
                elif t["result"] in SKIP:
                    skipped += 1
                    if strict:
                        print(f"SKIP not allowed (CI=true or COLO_REQUIRE_ALL=1): {where}: "
                              f"{reason(t)}")
                    else:
                        print(f"skipped: {where}: {reason(t)}")
                else:
                    failed += 1
                    print(f"failed: {where}: {t['result']}")
    print(f"colo-proxy tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or (strict and skipped) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
