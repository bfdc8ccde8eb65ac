#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up, build, then replay every shipped pcap pair
# (pcaps/<case>/primary.pcap + secondary.pcap) through colo-proxy on pcap
# vdevs with the documented replay command, and print what came out beside
# what pcaps/manifest.json expects. Outputs go to ${OUT:-/tmp/colo-run}/<case>/.
# Exits non-zero if any case differs from its manifest entry.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
./scripts/setup.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null
proxy=$top/build/app/colo-proxy
e2e="python3 $top/tests/e2e/e2e.py"

# Hugepages when set up (dpdk-dumpcap can then attach), else plain memory.
mem=(--no-huge -m 256)
if [ "$(cat /proc/sys/vm/nr_hugepages)" -ge 128 ] && grep -q hugetlbfs /proc/mounts; then
    mem=()
fi

out=${OUT:-/tmp/colo-run}
mkdir -p "$out"
fail=0
printf '%-22s %8s %8s %8s %11s %9s  %s\n' case primary second released checkpoints expected result
while read -r name ckpt _ _; do
    dir=$top/pcaps/$name
    res=$out/$name
    prefix=colo_run_${name}_$$
    rm -rf "$res" && mkdir -p "$res"
    if ! timeout 60 "$proxy" --no-pci --file-prefix "$prefix" "${mem[@]}" \
        --vdev "net_pcap0,rx_pcap=$dir/primary.pcap" --vdev "net_pcap1,rx_pcap=$dir/secondary.pcap" \
        --vdev "net_pcap2,tx_pcap=$res/outbound.pcap" -- \
        --primary 0 --secondary 1 --outbound 2 \
        --compare-timeout 200 --exit-on-idle 1000 --stats-json "$res/stats.json" \
        >"$res/colo-proxy.log" 2>&1; then
        echo "$name: colo-proxy failed, see $res/colo-proxy.log" >&2
        fail=1
        rm -rf "/var/run/dpdk/$prefix"
        continue
    fi
    rm -rf "/var/run/dpdk/$prefix"
    got=$($e2e get "$res/stats.json" 'd["checkpoint_requests"]')
    verdict=ok
    if ! $e2e pcap-eq "$dir/expected.pcap" "$res/outbound.pcap" >"$res/diff.txt" || [ "$got" != "$ckpt" ]; then
        verdict="DIFFERS ($(cat "$res/diff.txt"))"
        fail=1
    fi
    printf '%-22s %8s %8s %8s %11s %9s  %s\n' "$name" \
        "$($e2e get "$res/stats.json" 'd["primary_rx"]')" \
        "$($e2e get "$res/stats.json" 'd["secondary_rx"]')" \
        "$($e2e get "$res/stats.json" 'd["released"]')" "$got" "$ckpt" "$verdict"
done < <($e2e cases "$top/pcaps/manifest.json")

echo
echo "Per-case output: $out/<case>/{outbound.pcap,stats.json,colo-proxy.log}"
if [ "$fail" -ne 0 ]; then
    echo "Some cases differ from pcaps/manifest.json." >&2
    exit 1
fi
echo "All cases match pcaps/manifest.json."
