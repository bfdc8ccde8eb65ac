#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Peer faults, besides the vhost cycles of
# test_vhost_cycles:
#   notify  the notify peer takes a DO_CHECKPOINT and disappears without
#           answering. --no-peer-policy flush: with no peer the outstanding
#           request falls back to a local flush, the held frames leave, the
#           proxy keeps running. --no-peer-policy hold: the frames stay held
#           and the request is sent again to the next peer, whose
#           COLO_CHECKPOINT releases them.
#   silent  the secondary VM falls silent while the primary keeps sending
#           (net_pcap infinite_rx through a virtio_user peer) for
#           $COLO_E2E_SILENT_SECS (default 10) with compare_timeout 200:
#           timeouts (or, at the full rate of infinite_rx, the max_queue
#           cap, whichever comes first) lead to checkpoints, the queues stay bounded and
#           conservation holds; when the secondary returns the frames
#           compare again (release_match grows, no new checkpoint).
. "$COLO_SRCDIR/tests/e2e/lib.sh"
export PYTHONDONTWRITEBYTECODE=1
e2e_init peer_faults
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
s='d["/colo/stats"]'
nb=32
# The primary's last datagram has no secondary twin: it is held until
# compare_timeout (3 s, time for the peer to connect) asks for a checkpoint.
e2e_py pcap-udp "$t/p.pcap" $((nb + 1))
e2e_py pcap-udp "$t/s.pcap" $nb
client="python3 $COLO_SRCDIR/tests/e2e/notify_client.py --timeout 10"

for policy in flush hold; do
    prefix=$(e2e_prefix "$policy")
    sock=$t/$policy.sock
    if [ $policy = flush ]; then
        # With the flush policy a request that finds no peer is flushed
        # locally, so the peer must be there before the timeout fires: it
        # listens first and colo-proxy connects to it (--notify-connect),
        # whatever the machine's load delays.
        # shellcheck disable=SC2086
        e2e_start peer 40 $client --listen "unix:$sock" init wait-ckpt close
        peer=$E2E_PID
        n=0
        while [ ! -S "$sock" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
        notify="--notify-connect unix:$sock"
    else
        notify="--notify unix:$sock"
    fi
    # shellcheck disable=SC2046,SC2086
    e2e_start "$policy" 60 "$COLO_PROXY" $(e2e_eal "$prefix") --lcores 0@0,1@1 \
        --vdev "net_pcap0,rx_pcap=$t/p.pcap" --vdev "net_pcap1,rx_pcap=$t/s.pcap" \
        --vdev "net_pcap2,tx_pcap=$t/$policy.out.pcap" -- \
        $notify --no-peer-policy $policy --compare-timeout 3000 --expired-scan-cycle 100 \
        --ingress-mirror off --stats-json "$t/$policy.json"
    pid=$E2E_PID
    e2e_wait_telemetry "$prefix"
    # The peer takes the request, and vanishes.
    if [ $policy = flush ]; then
        e2e_wait "$peer"
        [ "$E2E_RC" -eq 0 ] || e2e_fail "$policy: the notify peer got no DO_CHECKPOINT"
    else
        # shellcheck disable=SC2086
        timeout 30 $client "unix:$sock" init wait-ckpt close ||
            e2e_fail "$policy: the notify peer got no DO_CHECKPOINT"
    fi
    if [ $policy = flush ]; then
        e2e_tel_until "$prefix" /colo/stats "$t/$policy.tel.json" \
            "$s['released'] == $nb + 1 and $s['primary_queued'] == 0 and $s['flushes'] >= 1" 10
        e2e_py check "$t/$policy.tel.json" "$s['notify_done_received'] == 0" \
            "$s['notify_disconnects'] == 1" "$s['conservation_ok'] == 1" ||
            e2e_fail "flush: counters"
    else
        sleep 1
        e2e_tel "$prefix" /colo/stats "$t/$policy.held.json"
        e2e_py check "$t/$policy.held.json" "$s['released'] == $nb" \
            "$s['primary_queued'] >= 1" "$s['flushes'] == 0" "$s['conservation_ok'] == 1" ||
            e2e_fail "hold: frames not held after the peer left"
        # The next peer is asked again and answers.
        # shellcheck disable=SC2086
        timeout 30 $client "unix:$sock" init wait-ckpt done close ||
            e2e_fail "hold: the next peer got no DO_CHECKPOINT"
        e2e_tel_until "$prefix" /colo/stats "$t/$policy.tel.json" \
            "$s['released'] == $nb + 1 and $s['primary_queued'] == 0" 10
        e2e_py check "$t/$policy.tel.json" "$s['notify_done_received'] == 1" \
            "$s['notify_requests_sent'] == 2" || e2e_fail "hold: counters"
    fi
    e2e_stop "$pid"
    [ "$E2E_RC" -eq 0 ] || e2e_fail "$policy: colo-proxy exited with $E2E_RC"
    e2e_py check "$t/$policy.json" 'd["conservation_ok"] is True' "d['mbufs_in_use'] == 0" \
        "d['released'] == $nb + 1" || e2e_fail "$policy: final stats"
    echo "ok   notify peer gone with a request outstanding, policy $policy" >&2
done

command -v dpdk-testpmd >/dev/null 2>&1 || e2e_skip "dpdk-testpmd not installed (silent case)"
secs=${COLO_E2E_SILENT_SECS:-10}
e2e_py pcap-udp "$t/v.pcap" $nb
# shellcheck disable=SC2046
e2e_start proxy 120 "$COLO_PROXY" $(e2e_eal "$E2E_PREFIX") --lcores 0@0,1@1 \
    --vdev "net_vhost0,iface=$t/primary.sock" \
    --vdev "net_vhost1,iface=$t/secondary.sock" \
    --vdev "net_vhost2,iface=$t/outbound.sock" -- \
    --primary net_vhost0 --secondary net_vhost1 --outbound net_vhost2 \
    --compare-timeout 200 --max-queue 64 --ingress-mirror off \
    --stats-json "$t/silent.json"
proxy=$E2E_PID
e2e_wait_telemetry "$E2E_PREFIX"

# peer NAME PORT-VDEVS...: a testpmd in io mode, as in test_vhost.
peer() {
    _n=$1
    shift
    trap '' PIPE
    e2e_start "$_n" 60 dpdk-testpmd --no-pci --no-huge -m 256 \
        --file-prefix "$(e2e_prefix "$_n")" --lcores 0@1,1@0 \
        --log-level=lib.eal:warning "$@" -- \
        --forward-mode=io --port-topology=paired --no-flush-rx \
        --total-num-mbufs=4096 --stats-period 1
    trap - PIPE
    peer=$E2E_PID
}

# Phase 1: only the primary VM, sending without end; the secondary is silent.
peer silent1 --vdev "net_pcap0,rx_pcap=$t/v.pcap,infinite_rx=1" \
    --vdev "net_virtio_user0,path=$t/primary.sock" \
    --vdev "net_virtio_user2,path=$t/outbound.sock" \
    --vdev "net_pcap2,tx_pcap=/dev/null"
end=$(($(date +%s) + secs))
max_q=0
while [ "$(date +%s)" -lt $end ]; do
    e2e_tel "$E2E_PREFIX" /colo/stats "$t/silent.tel.json"
    # Live, under full-rate input, a snapshot may miss a burst in flight
    # (app/obs/report.c): conservation within one RX burst here, exact below.
    e2e_py check "$t/silent.tel.json" \
        "abs($s['primary_rx'] - $s['released'] - $s['primary_dropped'] - $s['primary_queued']) <= 64" \
        "$s['primary_queued'] <= 16 * 64 + 4096 + 2048" >/dev/null ||
        e2e_fail "silent: unbounded queue or conservation: $(cat "$t/silent.tel.json")"
    q=$(e2e_py get "$t/silent.tel.json" "$s['primary_queued']")
    [ "$q" -le "$max_q" ] || max_q=$q
    sleep 0.5
done
kill -0 "$proxy" || e2e_fail "silent: colo-proxy died"
e2e_py check "$t/silent.tel.json" "$s['checkpoint_requests'] >= 2" \
    "$s['trigger_timeout_primary'] + $s['trigger_queue_full'] >= 1" "$s['primary_rx'] > $nb" ||
    e2e_fail "silent: no timeout checkpoints"
e2e_stop "$peer" INT
rm -rf "/var/run/dpdk/$(e2e_prefix silent1)"
# The outbound peer left too: released frames wait for it (tx_retry), so
# the drain is checked once it is back. New requests stop with the input.
sleep 1
e2e_tel "$E2E_PREFIX" /colo/stats "$t/silent.drained.json"
e2e_py check "$t/silent.drained.json" "$s['conservation_ok'] == 1" \
    "$s['secondary_queued'] == 0" || e2e_fail "silent: after the primary stopped"
ckpts=$(e2e_py get "$t/silent.drained.json" "$s['checkpoint_requests']")
matched=$(e2e_py get "$t/silent.drained.json" "$s['release_match']")
echo "ok   secondary silent for ${secs}s: $ckpts checkpoints, max $max_q frames queued" >&2

# Phase 2: the secondary is back: the frames compare again. 16 connections
# whose sequence restarts: compare on fresh flows (new pcap, other ports).
e2e_py pcap-udp "$t/w.pcap" $nb tag=back
peer back --vdev "net_pcap0,rx_pcap=$t/w.pcap" \
    --vdev "net_virtio_user0,path=$t/primary.sock" \
    --vdev "net_pcap1,rx_pcap=$t/w.pcap" \
    --vdev "net_virtio_user1,path=$t/secondary.sock" \
    --vdev "net_virtio_user2,path=$t/outbound.sock" \
    --vdev "net_pcap2,tx_pcap=$t/back.out.pcap"
e2e_tel_until "$E2E_PREFIX" /colo/stats "$t/back.json" \
    "$s['release_match'] >= $matched + $nb and $s['primary_queued'] == 0 and $s['mbufs_in_use'] == 0" 20
e2e_py check "$t/back.json" "$s['checkpoint_requests'] == $ckpts" ||
    e2e_fail "back: a checkpoint after the secondary returned"
e2e_stop "$peer" INT
e2e_stop "$proxy"
[ "$E2E_RC" -eq 0 ] || e2e_fail "silent: colo-proxy exited with $E2E_RC"
e2e_py check "$t/silent.json" 'd["conservation_ok"] is True' "d['mbufs_in_use'] == 0"
echo "ok   secondary back: frames compare again, no new checkpoint" >&2
