#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# vhost-user ports. colo-proxy serves three net_vhost sockets; a
# separate dpdk-testpmd plays both VMs and the client: virtio_user ports in
# io-forward mode, fed from pcap files, with the outbound traffic written to
# a pcap. The peer then disconnects (SIGINT) and a new one connects: the
# proxy logs the links going down, survives, and forwards the second round.
# With the argument "client" the roles of the sockets flip: colo-proxy's
# vhost ports connect (client=1) and reconnect to a virtio_user server.
. "$COLO_SRCDIR/tests/e2e/lib.sh"
# The inline python imports modules from the source tree: keep it clean.
export PYTHONDONTWRITEBYTECODE=1
mode=${1:-server}
e2e_init "vhost_$mode"
vhost_opt=""
virtio_opt=""
if [ "$mode" = client ]; then
    vhost_opt=",client=1"
    virtio_opt=",server=1"
fi
command -v dpdk-testpmd >/dev/null 2>&1 || e2e_skip "dpdk-testpmd not installed"
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
nb=64
s='d["/colo/stats"]'

# shellcheck disable=SC2046
e2e_start proxy 180 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --vdev "net_vhost0,iface=$t/primary.sock$vhost_opt" \
    --vdev "net_vhost1,iface=$t/secondary.sock$vhost_opt" \
    --vdev "net_vhost2,iface=$t/outbound.sock$vhost_opt" -- \
    --primary net_vhost0 --secondary net_vhost1 --outbound net_vhost2 \
    --stats-json "$t/stats.json"
proxy=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

# One peer process: pcap -> virtio_user for each VM, virtio_user -> pcap for
# the client. Ports pair up in vdev order: (0,1) (2,3) (4,5). Its forwarding
# lcore runs on CPU 0, the proxy's worker on CPU 1: two busy pollers on one
# CPU slow each other down a thousandfold.
peer_start() {
    round=$1
    # A virtio_user server leaves its socket files behind when it stops.
    if [ "$mode" = client ]; then
        rm -f "$t/primary.sock" "$t/secondary.sock" "$t/outbound.sock"
    fi
    # virtio_user may write to a socket the proxy closed.
    trap '' PIPE
    # shellcheck disable=SC2046
    e2e_start "peer$round" 60 dpdk-testpmd --no-pci --no-huge -m 256 \
        --file-prefix "$(e2e_prefix "peer$round")" --lcores 0@1,1@0 \
        --log-level=lib.eal:warning \
        --vdev "net_pcap0,rx_pcap=$t/primary$round.pcap" \
        --vdev "net_virtio_user0,path=$t/primary.sock$virtio_opt" \
        --vdev "net_pcap1,rx_pcap=$t/secondary$round.pcap" \
        --vdev "net_virtio_user1,path=$t/secondary.sock$virtio_opt" \
        --vdev "net_virtio_user2,path=$t/outbound.sock$virtio_opt" \
        --vdev "net_pcap2,tx_pcap=$t/outbound$round.pcap" -- \
        --forward-mode=io --port-topology=paired --no-flush-rx \
        --total-num-mbufs=4096 --stats-period 1
    trap - PIPE
    peer=$E2E_PID
}

# Until OUT holds as many frames as WANT, or SECS pass.
wait_frames() {
    n=0
    while [ $n -lt $(($3 * 10)) ]; do
        if [ -f "$1" ] && [ "$(e2e_py pcap-count "$1" 2>/dev/null)" = "$2" ]; then
            return 0
        fi
        sleep 0.1
        n=$((n + 1))
    done
    e2e_fail "$1: $(e2e_py pcap-count "$1" 2>/dev/null || echo no) frames, want $2"
}

# Round 1: both VMs send the same datagrams; all are released in order.
e2e_py pcap-udp "$t/primary1.pcap" $nb
cp "$t/primary1.pcap" "$t/secondary1.pcap"
peer_start 1
wait_frames "$t/outbound1.pcap" $nb 30
e2e_py pcap-eq "$t/primary1.pcap" "$t/outbound1.pcap" || e2e_fail "round 1: wrong frames"
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/round1.json" \
    "$s['released'] == $nb and $s['secondary_queued'] == 0"
e2e_py check "$t/round1.json" "$s['primary_rx'] == $nb" "$s['secondary_rx'] == $nb" \
    "$s['checkpoint_requests'] == 0" "$s['primary_dropped'] == 0" \
    "$s['conservation_ok'] == 1"
links_up=$(e2e_py get "$t/round1.json" "$s['link_events']")

# The peer goes away: every link goes down, the proxy stays.
e2e_stop "$peer" INT
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/down.json" \
    "$s['link_events'] >= $links_up + 3"
kill -0 "$proxy" 2>/dev/null || e2e_fail "colo-proxy died when the peer left"
grep -q "link down" "$E2E_TMP/proxy.log" || e2e_fail "link down not logged"

# Round 2: a new peer on the same sockets. The secondary differs in datagram
# 53, the last of its connection (16 connections, round robin), so one
# checkpoint is requested and flushed at once (monitor mode); frames of other
# connections may overtake it, so compare the sets.
e2e_py pcap-udp "$t/primary2.pcap" $nb
e2e_py pcap-udp "$t/secondary2.pcap" $nb tag=cola only=53
peer_start 2
wait_frames "$t/outbound2.pcap" $nb 30
python3 - "$COLO_SRCDIR/tests/e2e" "$t/primary2.pcap" "$t/outbound2.pcap" <<'EOF' ||
import sys

sys.path.insert(0, sys.argv[1])
import e2e

sys.exit(sorted(e2e.pcap_read(sys.argv[2])) != sorted(e2e.pcap_read(sys.argv[3])))
EOF
    e2e_fail "round 2: the outbound frames are not the primary's"
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/round2.json" \
    "$s['released'] == 2 * $nb and $s['secondary_queued'] == 0"
e2e_py check "$t/round2.json" "$s['primary_rx'] == 2 * $nb" \
    "$s['secondary_rx'] == 2 * $nb" "$s['checkpoint_requests'] == 1" \
    "$s['primary_dropped'] == 0" "$s['conservation_ok'] == 1"
e2e_stop "$peer" INT

e2e_stop "$proxy"
[ "$E2E_RC" -eq 0 ] || e2e_fail "colo-proxy exited with $E2E_RC after SIGTERM"
e2e_py check "$t/stats.json" "d['released'] == 2 * $nb" "d['checkpoint_requests'] == 1" \
    'd["conservation_ok"] is True'
