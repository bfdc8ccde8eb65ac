#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# CI smoke run of colo-bench: short runs of both lcore layouts with TCP and
# UDP, mismatches and a secondary lag. colo-bench exits non-zero when a run
# loses a frame (primary in != released + drops + queued) or an mbuf (the
# pool does not return to empty), or when the floor pairs the frames of two
# connections or leaves one unpaired. The JSON must carry the floor's figures
# (positive) and the memory the run got. No figure is compared with a
# threshold: CI machines vary.
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
out=$(mktemp)
trap 'rm -rf "/var/run/dpdk/$prefix" "$out"' EXIT INT TERM

# The value of "name": in the JSON object of $out.
field() {
    sed -n "s/^ *\"$1\": \"*\([^\",]*\)\"*,*$/\1/p" "$out"
}

positive() {
    v=$(field "$1")
    awk -v v="$v" 'BEGIN { exit !(v + 0 > 0) }' ||
        { echo "FAIL: $1 is '$v', not a positive number" >&2; cat "$out" >&2; exit 1; }
}

equals() {
    v=$(field "$1")
    [ "$v" = "$2" ] || { echo "FAIL: $1 is '$v', not $2" >&2; cat "$out" >&2; exit 1; }
}

# rtc picks its memory (hugepages if enough are free, else 4 KiB pages);
# split is told --no-huge.
for layout in rtc split; do
    if [ "$layout" = rtc ]; then mem=""; else mem="--no-huge -m 512"; fi
    # shellcheck disable=SC2086
    timeout -k 5 25 "$COLO_BENCH" --no-pci $mem --file-prefix "$prefix" \
        --lcores 0@0,1@1,2@0 --log-level=lib.eal:warning -- \
        --layout "$layout" --conns 200 --frame-size 128 --udp-pct 30 \
        --mismatch-rate 0.001 --lag 8 --duration 0.2 --nb-mbufs 16383 --json >"$out"
    equals conservation_ok true
    equals mempool_ok true
    equals floor_ok true
    positive floor_pairs_per_sec
    positive floor_ticks_per_pair
    positive ratio_to_floor
    positive cycles_per_pair
    case $(field memory) in
    hugepages) [ "$layout" = rtc ] || { echo "FAIL: --no-huge ran on hugepages" >&2; exit 1; } ;;
    4k) ;;
    *) echo "FAIL: memory is '$(field memory)'" >&2; cat "$out" >&2; exit 1 ;;
    esac
    echo "$layout: floor $(field floor_ticks_per_pair) ticks/pair, colo-proxy" \
        "$(field cycles_per_pair), ratio $(field ratio_to_floor), memory $(field memory)"
done
