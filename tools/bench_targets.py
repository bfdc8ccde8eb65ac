#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""One CSV line per colo-bench --json file: colo-proxy beside its floor and its
io-forward baseline, with the memory and the machine's load of that run.

Usage: bench_targets.py RUN.json...   (sweep files, with "runs", are skipped)
"""
import csv
import json
import os
import sys

KEYS = ["conns", "frame_size", "udp_pct", "layout", "compare_lcores", "pairs_per_sec",
        "cycles_per_pair", "floor_pairs_per_sec", "floor_ticks_per_pair", "ratio_to_floor",
        "baseline_pps", "ratio", "gbps", "hold_p99_us", "memory", "stalls"]


def main(argv):
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["run"] + KEYS + ["loadavg", "date"])
    for path in argv[1:]:
        with open(path) as f:
            d = json.load(f)
        if "runs" in d:
            continue
        out.writerow([os.path.basename(path).rsplit(".json", 1)[0]]
                     + [d.get(k, "") for k in KEYS]
                     + [d["machine"]["loadavg"].split()[0], d["machine"]["date"]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
