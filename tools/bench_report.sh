#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Regenerate the figures of docs/performance.md into OUT (docs/perf): the
# target rows (one colo-bench run each, each with its io-forward baseline and
# its floor; targets.csv lists them), the sweep with its CSV, JSON and PNG
# plots (the floor beside colo-proxy), and the vhost-user figure. About ten minutes on 2 CPUs. Run
# it when `uptime` shows a low load: the machine's other work lands on the
# same two CPUs, and every figure beside its baseline comes from one run.
#
#   tools/bench_report.sh [BUILD_DIR [OUT]]
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
out=${2:-$top/docs/perf}
bench=$build/tests/bench/colo-bench
[ -x "$bench" ] || { echo "no $bench: build first (meson compile -C $build)" >&2; exit 1; }
mkdir -p "$out"
prefix=colo_bench_$$
trap 'rm -rf /var/run/dpdk/$prefix' EXIT INT TERM
# Main lcore on CPU 0 (it sleeps), worker 1 on CPU 1, worker 2 on CPU 0:
# --layout rtc uses worker 1 alone, split and --compare-lcores 2 both.
# colo-bench picks the memory: hugepages when enough are free for the run,
# else 4 KiB pages; each JSON says which ("memory"). 16383 mbufs are plenty
# (at most a few hundred are in flight) and let 1M connections fit in
# 512 MB of hugepages.
eal="--no-pci --file-prefix $prefix --lcores 0@0,1@1,2@0
    --log-level=lib.eal:warning --log-level=colo.*:warning"
common="--nb-mbufs 16383"

run() {
    name=$1
    shift
    echo "== $name: colo-bench $* $common" >&2
    # shellcheck disable=SC2086
    "$bench" $eal -- "$@" $common --json >"$out/$name.json"
}

uptime >&2
run target_64b_1k --conns 1000 --frame-size 64 --repeat 3
run target_1500b_1k --conns 1000 --frame-size 1500 --repeat 3
run target_64b_1m --conns 1000000 --frame-size 64 --repeat 3
run mix_udp30_lag64_mismatch --conns 1000 --frame-size 256 --udp-pct 30 --lag 64 \
    --mismatch-rate 0.0001 --repeat 3
run lcores_rtc1 --conns 1000 --layout rtc --repeat 3
run lcores_split1 --conns 1000 --layout split --repeat 3
run lcores_rtc2 --conns 1000 --compare-lcores 2 --repeat 3
# One line per target run: colo-proxy beside its floor and io-forward.
/usr/bin/python3 "$top/tools/bench_targets.py" "$out"/*.json >"$out/targets.csv"
echo "== sweep" >&2
# shellcheck disable=SC2086
"$bench" $eal -- --repeat 3 $common --sweep "$out/sweep"
/usr/bin/python3 "$top/tools/plot_bench.py" "$out/sweep.json"
echo "== vhost-user" >&2
"$top/tools/bench_vhost.sh" "$build" 5 64 >"$out/vhost_64b.json"
"$top/tools/bench_vhost.sh" "$build" 5 1500 >"$out/vhost_1500b.json"
uptime >&2
