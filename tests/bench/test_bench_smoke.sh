#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# CI smoke run of colo-bench: short runs of both lcore layouts with TCP and
# UDP, mismatches and a secondary lag. colo-bench exits non-zero when a run
# loses a frame (primary in != released + drops + queued) or an mbuf (the
# pool does not return to empty). No figure is asserted: CI machines vary.
: "${COLO_BENCH:?COLO_BENCH not set (run through meson test)}"
# Under CI=true or COLO_REQUIRE_ALL=1 a skip is a failure.
skip() {
    if [ "${CI:-}" = true ] || [ "${COLO_REQUIRE_ALL:-0}" = 1 ]; then
        echo "SKIP not allowed (CI=true or COLO_REQUIRE_ALL=1): bench_smoke: $*" >&2
        exit 1
    fi
    echo "SKIP: $*" >&2
    exit 77
}
[ -x "$COLO_BENCH" ] || skip "$COLO_BENCH not built"
[ "$(id -u)" -eq 0 ] || [ -w /var/run/dpdk ] || skip "needs root"

prefix=colo_bench_smoke_$$
trap 'rm -rf "/var/run/dpdk/$prefix"' EXIT INT TERM
for layout in rtc split; do
    timeout -k 5 25 "$COLO_BENCH" --no-pci --no-huge -m 512 --file-prefix "$prefix" \
        --lcores 0@0,1@1,2@0 --log-level=lib.eal:warning -- \
        --layout "$layout" --conns 200 --frame-size 128 --udp-pct 30 \
        --mismatch-rate 0.001 --lag 8 --duration 0.2 --nb-mbufs 16383
done
