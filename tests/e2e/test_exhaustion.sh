#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Resource exhaustion. Each case drives one proxy until
# its input is consumed and its queues drained, then checks the counter of
# the exhausted resource, the log line, conservation, and that every mbuf
# is back in its pool (mbufs_in_use == 0 in /colo/stats), then stops it
# with SIGTERM (exit 0, conservation in stats.json):
#   mempool   --nb-mbufs 1023 and a primary that is never matched: the pool
#             runs dry, the PMD counts rx_nombuf, the compare timeout
#             flushes, the pool refills
#   ring      split layout with --ring-size 64: drop_ring_full
#   queue     --max-queue 16 on one connection with no secondary:
#             drop_queue_full and queue_full checkpoints
#   conns     200k new UDP flows with --max-conns 1024 while an established
#             flow is compared: conn_evicted, the table stays at its size,
#             the established flow's frames all compare and come out
# (The outbound port refusing frames is test_tx_backpressure.)
. "$COLO_SRCDIR/tests/e2e/lib.sh"
e2e_init exhaustion
command -v dpdk-telemetry.py >/dev/null 2>&1 || e2e_skip "dpdk-telemetry.py not installed"

t=$E2E_TMP
s='d["/colo/stats"]'
n=20000
e2e_py pcap-udp "$t/udp.pcap" $n
e2e_py pcap-udp "$t/one.pcap" 5000 conns=1
e2e_py pcap-udp "$t/empty.pcap" 0
flood=${COLO_E2E_FLOOD:-200000}
python3 "$COLO_SRCDIR/tests/e2e/hostile.py" flood "$t/flood_p.pcap" "$t/flood_s.pcap" \
    "$flood" >"$t/flood.txt"
read -r flood_p flood_s flood_est <"$t/flood.txt"

# run NAME PRIMARY SECONDARY "EAL lcores" APP-OPTS...: start a proxy; sets
# $pid and $prefix.
run() {
    _name=$1 _p=$2 _s=$3 _lc=$4
    shift 4
    prefix=$(e2e_prefix "$_name")
    # shellcheck disable=SC2046,SC2086
    e2e_start "$_name" 90 "$COLO_PROXY" $(e2e_eal "$prefix") $_lc \
        --vdev "net_pcap0,rx_pcap=$_p" --vdev "net_pcap1,rx_pcap=$_s" \
        --vdev "net_pcap2,tx_pcap=$t/$_name.out.pcap" -- \
        --ingress-mirror off --stats-json "$t/$_name.json" "$@"
    pid=$E2E_PID
    e2e_wait_telemetry "$prefix"
}

# finish NAME: drained and leak-free now, exit 0 and conservation at exit.
finish() {
    e2e_tel_until "$prefix" /colo/stats "$t/$1.drained.json" \
        "$s['primary_queued'] == 0 and $s['secondary_queued'] == 0 and $s['mbufs_in_use'] == 0 and $s['conservation_ok'] == 1" 30
    e2e_stop "$pid"
    [ "$E2E_RC" -eq 0 ] || e2e_fail "$1: colo-proxy exited with $E2E_RC after SIGTERM"
    e2e_py check "$t/$1.json" "d['conservation_ok'] is True" "d['mbufs_in_use'] == 0" \
        "d['primary_queued'] == 0 and d['secondary_queued'] == 0" ||
        e2e_fail "$1: final stats"
}

# log_has NAME PATTERN
log_has() {
    grep -q "$2" "$t/$1.log" || e2e_fail "$1: no log line matching '$2'"
}

lc_rtc="--lcores 0@0,1@1"
lc_split="--lcores 0@0,1@0,2@1"

e2e_log "mempool: --nb-mbufs 1023, $n unmatched primaries"
run mempool "$t/udp.pcap" "$t/empty.pcap" "$lc_rtc" --nb-mbufs 1023 --compare-timeout 200
e2e_tel_until "$prefix" /ethdev/stats,0 "$t/mempool.eth.json" \
    "d['/ethdev/stats']['ipackets'] + d['/ethdev/stats']['rx_nombuf'] == $n"
e2e_py check "$t/mempool.eth.json" "d['/ethdev/stats']['rx_nombuf'] > 0" ||
    e2e_fail "mempool: no rx_nombuf"
finish mempool
e2e_py check "$t/mempool.json" "d['primary_rx'] < $n" "d['released'] == d['primary_rx']" \
    "d['checkpoint_requests'] > 0" || e2e_fail "mempool: counters"
log_has mempool "want of an mbuf"

e2e_log "ring: split layout, --ring-size 64, $n frames a side"
run ring "$t/udp.pcap" "$t/udp.pcap" "$lc_split" --ring-size 64 --compare-timeout 200
e2e_tel_until "$prefix" /colo/stats "$t/ring.tel.json" \
    "$s['primary_rx'] == $n and $s['secondary_rx'] == $n"
finish ring
e2e_py check "$t/ring.json" "d['dropped']['ring_full'] + d['discarded']['ring_full'] > 0" \
    "d['primary_rx'] == $n" || e2e_fail "ring: counters"
log_has ring "compare ring full"

e2e_log "queue: --max-queue 16, one connection, no secondary"
run queue "$t/one.pcap" "$t/empty.pcap" "$lc_rtc" --max-queue 16 --compare-timeout 200
e2e_tel_until "$prefix" /colo/stats "$t/queue.tel.json" "$s['primary_rx'] == 5000"
finish queue
e2e_py check "$t/queue.json" "d['dropped']['queue_full'] > 0" \
    "d['trigger_queue_full'] > 0" "d['primary_rx'] == 5000" || e2e_fail "queue: counters"
log_has queue "queue_full"

e2e_log "conns: $flood new flows, --max-conns 1024, $flood_est established frames"
run conns "$t/flood_p.pcap" "$t/flood_s.pcap" "$lc_rtc" --max-conns 1024 \
    --compare-timeout 5000
e2e_tel_until "$prefix" /colo/stats "$t/conns.tel.json" \
    "$s['primary_rx'] == $flood_p and $s['secondary_rx'] == $flood_s" 60
e2e_py check "$t/conns.tel.json" "$s['conns_active'] <= 1024" ||
    e2e_fail "conns: table beyond its size"
finish conns
e2e_py check "$t/conns.json" "d['conn_evicted'] >= $flood - 1024" \
    "d['release_match'] == $flood_est" "d['discard_match'] == $flood_est" \
    "d['released'] == $flood_p" || e2e_fail "conns: counters"
log_has conns "connection table full"
# No checkpoint names the established flow (udp port 4242).
if grep -q "checkpoint request.*:4242" "$t/conns.log"; then
    e2e_fail "conns: a checkpoint for the established flow"
fi
echo "ok   exhaustion: mempool, ring, queue, conns" >&2
