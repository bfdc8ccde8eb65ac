#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# vhost-user peer faults: the VM side (a dpdk-testpmd with
# virtio_user ports, as in test_vhost) disconnects and reconnects again and
# again under traffic. Each cycle a new peer sends 64 datagrams per VM; the
# cycle then ends with SIGINT (clean close), SIGKILL (the peer vanishes
# mid-stream), or SIGINT before the frames are through. The proxy must
# survive every cycle, log the links going down, keep conservation, and
# after the last cycle drain to zero queued frames and zero mbufs in use.
# Cycles: $COLO_E2E_VHOST_CYCLES (default 6, under a minute in CI; the
# 100-cycle local run is recorded in docs/reliability.md).
. "$COLO_SRCDIR/tests/e2e/lib.sh"
export PYTHONDONTWRITEBYTECODE=1
e2e_init vhost_cycles
command -v dpdk-testpmd >/dev/null 2>&1 || e2e_skip "dpdk-testpmd not installed"
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
nb=64
cycles=${COLO_E2E_VHOST_CYCLES:-6}
s='d["/colo/stats"]'
e2e_py pcap-udp "$t/frames.pcap" $nb

# shellcheck disable=SC2046
e2e_start proxy $((60 + cycles * 10)) "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") \
    --lcores 0@0,1@1 \
    --vdev "net_vhost0,iface=$t/primary.sock" \
    --vdev "net_vhost1,iface=$t/secondary.sock" \
    --vdev "net_vhost2,iface=$t/outbound.sock" -- \
    --primary net_vhost0 --secondary net_vhost1 --outbound net_vhost2 \
    --compare-timeout 200 --ingress-mirror off --stats-json "$t/stats.json"
proxy=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

# SIGKILL the testpmd itself (timeout(1), our child, cannot pass KILL on).
kill_peer() {
    for _child in $(pgrep -P "$peer"); do
        kill -KILL "$_child" 2>/dev/null || true
    done
    e2e_wait "$peer"
}

released=0
c=1
start=$(date +%s)
while [ $c -le "$cycles" ]; do
    trap '' PIPE
    # shellcheck disable=SC2046
    e2e_start "peer$c" 30 dpdk-testpmd --no-pci --no-huge -m 256 \
        --file-prefix "$(e2e_prefix "peer$c")" --lcores 0@1,1@0 \
        --log-level=lib.eal:warning \
        --vdev "net_pcap0,rx_pcap=$t/frames.pcap" \
        --vdev "net_virtio_user0,path=$t/primary.sock" \
        --vdev "net_pcap1,rx_pcap=$t/frames.pcap" \
        --vdev "net_virtio_user1,path=$t/secondary.sock" \
        --vdev "net_virtio_user2,path=$t/outbound.sock" \
        --vdev "net_pcap2,tx_pcap=$t/out$c.pcap" -- \
        --forward-mode=io --port-topology=paired --no-flush-rx \
        --total-num-mbufs=4096 --stats-period 1
    trap - PIPE
    peer=$E2E_PID
    case $((c % 3)) in
    0)  # Mid-stream: gone as soon as the first frames are in.
        e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/c.json" \
            "$s['primary_rx'] + $s['secondary_rx'] > 2 * $released" 20
        kill_peer ;;
    1)  e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/c.json" \
            "$s['released'] >= $released + $nb" 20
        kill_peer ;;
    2)  e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/c.json" \
            "$s['released'] >= $released + $nb" 20
        e2e_stop "$peer" INT ;;
    esac
    rm -rf "/var/run/dpdk/$(e2e_prefix "peer$c")" "$t/out$c.pcap"
    kill -0 "$proxy" 2>/dev/null || e2e_fail "colo-proxy died in cycle $c"
    # The proxy saw the peer go: the primary link is down before the next.
    e2e_tel_until "$E2E_PREFIX" /colo/ports "$t/ports.json" \
        "d['/colo/ports']['primary']['link_up'] == 0" 10
    e2e_tel "$E2E_PREFIX" /colo/stats "$t/c.json"
    e2e_py check "$t/c.json" "$s['conservation_ok'] == 1" ||
        e2e_fail "cycle $c: conservation"
    released=$(e2e_py get "$t/c.json" "$s['primary_rx']")
    c=$((c + 1))
done
secs=$(($(date +%s) - start))
echo "ok   $cycles vhost-user peer cycles in $secs s" >&2

e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/drained.json" \
    "$s['primary_queued'] == 0 and $s['secondary_queued'] == 0 and $s['mbufs_in_use'] == 0 and $s['conservation_ok'] == 1" 20
grep -q "link down" "$t/proxy.log" || e2e_fail "link down not logged"
e2e_stop "$proxy"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
e2e_py check "$t/stats.json" 'd["conservation_ok"] is True' "d['mbufs_in_use'] == 0" \
    "d['released'] >= $nb * $((cycles * 2 / 3))"
