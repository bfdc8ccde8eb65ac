#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Plot a colo-bench sweep (the PREFIX.json of colo-bench --sweep PREFIX) as PNGs,
colo-proxy beside the floor (RX, parse, one lookup per frame, memcmp, TX: the work
it cannot avoid) and the io-forward baseline of the same frames, ports and lcores:

  PREFIX_conns.png   compared pairs/s against connections (64 B frames)
  PREFIX_frames.png  pairs/s and primary payload Gb/s against frame size
  PREFIX_lcores.png  pairs/s of the lcore layouts (when the sweep has them)

Usage: plot_bench.py SWEEP.json [OUT_PREFIX]   (OUT_PREFIX defaults to SWEEP)
Needs python3-matplotlib (Debian), hence /usr/bin/python3.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def rows(runs, group):
    return [r for r in runs if r["group"] == group]


def subtitle(machine, runs):
    r = runs[0]
    return "%s, %d CPUs, load %s, %s; %s layout, %d compare lcore(s), %d%% UDP" % (
        machine["cpu"], machine["cpus"], machine["loadavg"].split()[0], machine["date"],
        r["layout"], r["compare_lcores"], r["udp_pct"])


def has_floor(rs):
    return all(r.get("floor_pairs_per_sec", 0) > 0 for r in rs)


def plot_floor(ax, x, rs):
    """The floor's pairs/s beside colo-proxy's, labelled with colo-proxy's ticks / floor ticks."""
    if not has_floor(rs):
        return
    ax.plot(x, [r["floor_pairs_per_sec"] / 1e6 for r in rs], "D-.", color="tab:red",
            label="floor: RX + parse + lookup + memcmp + TX, pairs/s")
    for xi, r in zip(x, rs):
        ax.annotate("%.2f\u00d7" % r["ratio_to_floor"], (xi, r["floor_pairs_per_sec"] / 1e6),
                    textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8,
                    color="tab:red")


def plot_conns(runs, machine, out):
    rs = sorted(rows(runs, "conns"), key=lambda r: r["conns"])
    if not rs:
        return
    x = [r["conns"] for r in rs]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot(x, [r["pairs_per_sec"] / 1e6 for r in rs], "o-", label="colo-proxy: compared pairs/s")
    ax.plot(x, [r["baseline_pps"] / 2e6 for r in rs], "s--",
            label="io-forward baseline: frames/s / 2")
    for r in rs:
        ax.annotate("%.2f" % r["ratio"], (r["conns"], r["pairs_per_sec"] / 1e6),
                    textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    plot_floor(ax, x, rs)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("connections")
    ax.set_ylabel("million pairs per second (log)")
    ax.set_title("Throughput against connections, %d B frames\n(labels: ratio to io-forward;"
                 " red: colo-proxy ticks per pair / floor's)" % rs[0]["frame_size"])
    fig.text(0.5, 0.01, subtitle(machine, rs), ha="center", fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_frames(runs, machine, out):
    rs = sorted(rows(runs, "frame_size"), key=lambda r: r["frame_size"])
    if not rs:
        return
    x = [r["frame_size"] for r in rs]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot(x, [r["pairs_per_sec"] / 1e6 for r in rs], "o-", label="colo-proxy: compared pairs/s")
    ax.plot(x, [r["baseline_pps"] / 2e6 for r in rs], "s--",
            label="io-forward baseline: frames/s / 2")
    plot_floor(ax, x, rs)
    ax.set_yscale("log")
    ax.set_xlabel("frame size (bytes)")
    ax.set_ylabel("million pairs per second (log)")
    ax2 = ax.twinx()
    ax2.plot(x, [r["gbps"] for r in rs], "^:", color="tab:green",
             label="colo-proxy: primary payload Gb/s")
    ax2.set_ylabel("Gb/s of primary payload compared")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="center right")
    ax.set_title("Throughput against frame size, %d connections" % rs[0]["conns"])
    fig.text(0.5, 0.01, subtitle(machine, rs), ha="center", fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_lcores(runs, machine, out):
    rs = rows(runs, "lcores")
    if not rs:
        return
    names = ["%s\n%d compare lcore(s)" % (r["layout"], r["compare_lcores"]) for r in rs]
    x = range(len(rs))
    floor = has_floor(rs)
    w = 0.27 if floor else 0.4
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.bar([i - w / 2 - (w / 2 if floor else 0) for i in x], [r["pairs_per_sec"] / 1e6 for r in rs],
           w, label="colo-proxy: compared pairs/s")
    ax.bar([i + w / 2 - (w / 2 if floor else 0) for i in x],
           [r["pairs_per_sec_wall"] / 1e6 for r in rs], w,
           label="same, wall clock with the generator on the RX lcores")
    if floor:
        ax.bar([i + w for i in x], [r["floor_pairs_per_sec"] / 1e6 for r in rs], w,
               color="tab:red", label="floor: pairs/s (labels: colo-proxy / floor ticks)")
        for i, r in zip(x, rs):
            ax.annotate("%.2f\u00d7" % r["ratio_to_floor"], (i + w, r["floor_pairs_per_sec"] / 1e6),
                        textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    ax.set_xticks(list(x))
    ax.set_xticklabels(names)
    ax.set_ylabel("million pairs per second")
    ax.set_title("Lcore layouts on %d CPUs, %d connections, %d B frames"
                 % (machine["cpus"], rs[0]["conns"], rs[0]["frame_size"]))
    fig.text(0.5, 0.01, subtitle(machine, rs), ha="center", fontsize=7)
    ax.legend()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        d = json.load(f)
    prefix = argv[2] if len(argv) == 3 else argv[1].rsplit(".json", 1)[0]
    plot_conns(d["runs"], d["machine"], prefix + "_conns.png")
    plot_frames(d["runs"], d["machine"], prefix + "_frames.png")
    plot_lcores(d["runs"], d["machine"], prefix + "_lcores.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
